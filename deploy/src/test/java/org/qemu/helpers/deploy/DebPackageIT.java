package org.qemu.helpers.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qemu.helpers.common.jvm.HelperJvmFlags;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Tools;

/**
 * The .deb that {@code mvn package} built (runs after it, in the integration-test phase): its
 * contents against what its units and launchers name, its control fields, lintian, systemd's own
 * verifier on the unpacked units, the unpacked launchers running, and the JVM flags from one place.
 */
class DebPackageIT {
    static final Path TARGET = Path.of(System.getProperty("user.dir"), "target");
    static final Path SYSTEMD_SOURCES = Path.of(System.getProperty("user.dir"), "systemd");
    static final String UNITS = "lib/systemd/system/";
    static final String LIBEXEC = "usr/libexec/qemu-dbus-helpers/";
    static final String SLIRP_HELPER = LIBEXEC + "slirp-helper";
    static final String SLIRP_FLAGS = "usr/share/qemu-dbus-helpers/jvm-flags-slirp-dhcp";
    static final String HOOK = "etc/libvirt/hooks/qemu.d/qemu-dbus-helpers";
    static final Path README = LaunchDemoTest.REPO.resolve("README.md");

    @TempDir
    static Path root;
    static Path deb;
    static Set<String> contents;
    static String listing;

    @BeforeAll
    static void unpack() throws Exception {
        Tools.require("dpkg-deb", "dpkg");
        try (Stream<Path> s = Files.list(TARGET)) {
            List<Path> debs = s.filter(p -> p.getFileName().toString().matches("qemu-dbus-helpers_.+_all\\.deb")).toList();
            assertEquals(1, debs.size(), "one .deb in deploy/target: " + debs);
            deb = debs.get(0);
        }
        ProcResult list = ok(Commands.run("dpkg-deb", "-c", deb.toString()));
        listing = list.stdout();
        contents = list.stdout().lines().map(l -> l.substring(l.indexOf("./") + 2))
                .filter(p -> !p.isEmpty() && !p.endsWith("/")).collect(Collectors.toCollection(TreeSet::new));
        ok(Commands.run("dpkg-deb", "-x", deb.toString(), root.toString()));
    }

    @Test
    void itHoldsTheJarsLaunchersUnitsAndPackageFiles() {
        List<String> want = new ArrayList<>(List.of("usr/bin/qemu-helpers", "usr/share/qemu-dbus-helpers/deploy.jar",
                LIBEXEC + "vm-bus-config", UNITS + "qemu-vm@.target", UNITS + "qemu-vm-bus@.service",
                "usr/lib/sysusers.d/qemu-dbus-helpers.conf", "usr/lib/tmpfiles.d/qemu-dbus-helpers.conf",
                "usr/share/doc/qemu-dbus-helpers/examples/policy.json", "usr/share/doc/qemu-dbus-helpers/examples/vm.env",
                "usr/share/doc/qemu-dbus-helpers/copyright", "usr/share/doc/qemu-dbus-helpers/changelog.gz",
                "usr/share/man/man1/qemu-helpers.1.gz", "usr/share/man/man1/qemu-helpers-status.1.gz",
                "usr/share/bash-completion/completions/qemu-helpers"));
        for (HelperKind k : HelperKind.values()) {
            want.add("usr/share/qemu-dbus-helpers/helper-" + k.shortName() + ".jar");
            want.add(LIBEXEC + k.shortName());
            want.add(UNITS + "qemu-helper-" + k.shortName() + "@.service");
            want.add("usr/share/man/man1/helper-" + k.shortName() + ".1.gz");
            want.add("usr/share/doc/qemu-dbus-helpers/examples/uid-per-helper/qemu-helper-" + k.shortName() + ".conf");
        }
        want.addAll(List.of(SLIRP_HELPER, SLIRP_FLAGS, HOOK)); // libvirt's slirp_helper, its JVM flags, the hook
        assertEquals(List.of(), want.stream().filter(p -> !contents.contains(p)).toList(), "missing from " + deb);
    }

    @Test
    void everyUnitInTheTreeIsPackaged() throws IOException {
        try (Stream<Path> s = Files.list(SYSTEMD_SOURCES)) {
            for (Path unit : s.toList()) {
                assertTrue(contents.contains(UNITS + unit.getFileName()), unit + " packaged");
                assertEquals(Files.readString(unit), Files.readString(root.resolve(UNITS + unit.getFileName())));
            }
        }
    }

    @Test
    void everyFileTheUnitsAndLaunchersNameIsInThePackageOrADependency() throws Exception {
        String depends = ok(Commands.run("dpkg-deb", "-f", deb.toString(), "Depends")).stdout();
        Pattern exec = Pattern.compile("(?m)^Exec\\w+=[-@+!]*(\\S+)");
        Pattern man = Pattern.compile("man:([\\w.-]+)\\((\\d)\\)");
        Pattern user = Pattern.compile("(?m)^(?:User|Group)=(\\S+)");
        String sysusers = Files.readString(root.resolve("usr/lib/sysusers.d/qemu-dbus-helpers.conf"));
        List<String> missing = new ArrayList<>();
        List<Path> units = new ArrayList<>(listFiles(root.resolve(UNITS)));
        units.addAll(listFiles(root.resolve("usr/share/doc/qemu-dbus-helpers/examples/uid-per-helper")));
        for (Path unit : units) {
            String text = Files.readString(unit);
            for (Matcher m = exec.matcher(text); m.find(); ) {
                String file = m.group(1).substring(1);
                if (!contents.contains(file) && !(file.equals("usr/bin/dbus-daemon") && depends.contains("dbus-daemon"))
                        && !file.equals("bin/systemctl")) {
                    missing.add(unit.getFileName() + ": " + m.group(1));
                }
            }
            for (Matcher m = man.matcher(text); m.find(); ) {
                if (!contents.contains("usr/share/man/man" + m.group(2) + "/" + m.group(1) + "." + m.group(2) + ".gz")) {
                    missing.add(unit.getFileName() + ": man page " + m.group());
                }
            }
            for (Matcher m = user.matcher(text); m.find(); ) {
                if (!Pattern.compile("(?m)^[ug]\\s+" + Pattern.quote(m.group(1)) + "\\s").matcher(sysusers).find()) {
                    missing.add(unit.getFileName() + ": user/group " + m.group(1) + " not in sysusers.d");
                }
            }
        }
        Pattern jar = Pattern.compile("-jar \"\\$\\(dirname \"\\$\\(readlink -f \"\\$0\"\\)\"\\)\"/'([^']+)'");
        for (HelperKind k : HelperKind.values()) {
            String launcher = Files.readString(root.resolve(LIBEXEC + k.shortName()));
            Matcher m = jar.matcher(launcher);
            assertTrue(m.find(), launcher);
            Path target = Path.of(LIBEXEC).resolve(m.group(1)).normalize();
            if (!contents.contains(target.toString())) {
                missing.add(LIBEXEC + k.shortName() + ": " + target);
            }
        }
        assertEquals(List.of(), missing);
        for (String dep : List.of("openjdk-17-jre-headless", "dbus-daemon", "systemd")) {
            assertTrue(depends.contains(dep), "Depends: " + depends);
        }
    }

    @Test
    void lintianReportsNoErrors() throws Exception {
        Tools.require("lintian", "lintian");
        ProcResult r = Commands.run(Duration.ofMinutes(3), List.of("lintian", "--tag-display-limit", "0", deb.toString()));
        List<String> errors = r.stdout().lines().filter(l -> l.startsWith("E: ")).toList();
        assertEquals(List.of(), errors, r.toString());
    }

    @Test
    void systemdVerifiesTheUnpackedUnits() throws Exception {
        Tools.require("systemd-analyze", "systemd");
        // the unpacked tree plus what its units need from the system: systemd's own units, dbus-daemon
        for (Path p : listFiles(Path.of("/lib/systemd/system"))) {
            Path to = root.resolve(UNITS).resolve(p.getFileName());
            if (Files.isRegularFile(p) && !Files.exists(to)) {
                Files.copy(p, to);
            }
        }
        Files.copy(Path.of("/usr/bin/dbus-daemon"), root.resolve("usr/bin/dbus-daemon"), StandardCopyOption.REPLACE_EXISTING);
        List<String> cmd = new ArrayList<>(List.of("systemd-analyze", "verify", "--man=no", "--root=" + root,
                "qemu-vm@vm1.target", "qemu-vm-bus@vm1.service"));
        Arrays.stream(HelperKind.values()).forEach(k -> cmd.add("qemu-helper-" + k.shortName() + "@vm1.service"));
        ProcResult r = Commands.run(Duration.ofMinutes(1), cmd);
        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("", (r.stdout() + r.stderr()).strip(), "no warnings either");
    }

    @Test
    void theUnpackedLaunchersRun() throws Exception {
        for (HelperKind k : HelperKind.values()) {
            ProcResult r = ok(Commands.run(Duration.ofMinutes(1), List.of(root.resolve(LIBEXEC + k.shortName()).toString(),
                    "--help")));
            assertTrue(r.stdout().contains("Usage: helper-" + k.shortName()), r.toString());
        }
        ProcResult r = ok(Commands.run(Duration.ofMinutes(1), List.of(root.resolve("usr/bin/qemu-helpers").toString(),
                "--help")));
        assertTrue(r.stdout().contains("Usage: qemu-helpers"), r.toString());
    }

    @Test
    void theJvmFlagsComeFromOnePlace() throws Exception {
        for (HelperKind k : HelperKind.values()) {
            String launcher = Files.readString(root.resolve(LIBEXEC + k.shortName()));
            assertEquals(JvmFlagsCommand.launcher(k, Path.of("../../share/qemu-dbus-helpers/helper-" + k.shortName() + ".jar")),
                    launcher);
            assertTrue(launcher.contains(" " + String.join(" ", HelperJvmFlags.of(k.shortName())) + " -jar "), launcher);
            String unit = Files.readString(root.resolve(UNITS + "qemu-helper-" + k.shortName() + "@.service"));
            assertTrue(unit.contains("\nExecStart=/" + LIBEXEC + k.shortName() + " "), "the unit runs the launcher");
            assertTrue(!unit.contains("-XX") && !unit.contains("java "), "no JVM flags of its own in the unit");
        }
        assertTrue(HelperProcess.JVM_FLAGS == HelperArgs.JVM_FLAGS, "the test harness's flags are the launcher's list");
    }

    /**
     * What README's "Using with libvirt" tells a user of the package is where it says: qemu.conf's slirp_helper
     * line, the hook (executable, a conffile, the tree's own), and the JVM flags the slirp helper reads beside
     * deploy.jar: the launcher's flags, dated so that the script takes them as current; the unpacked slirp helper
     * runs from the unpacked jars with them and leaves them alone.
     */
    @Test
    void theLibvirtPiecesAreAtReadmesPathsAndTheSlirpHelperRunsWithTheShippedFlags() throws Exception {
        String libvirt = Files.readString(README);
        libvirt = libvirt.substring(libvirt.indexOf("## Using with libvirt"));
        libvirt = libvirt.substring(0, libvirt.indexOf("\n## ", 5));
        assertTrue(libvirt.contains("slirp_helper = \"/" + SLIRP_HELPER + "\""), "README's qemu.conf line");
        assertTrue(libvirt.contains("/" + HOOK), "README names the hook's path");

        assertTrue(listing.lines().anyMatch(l -> l.startsWith("-rwxr-xr-x root/root") && l.endsWith("./" + HOOK)),
                listing);
        assertEquals(Files.readString(LaunchDemoTest.REPO.resolve("deploy/libvirt/hooks/qemu.d/qemu-dbus-helpers")),
                Files.readString(root.resolve(HOOK)));
        String conffiles = ok(Commands.run("dpkg-deb", "-I", deb.toString(), "conffiles")).stdout();
        assertEquals(List.of("/" + HOOK), conffiles.lines().toList());

        Path flags = root.resolve(SLIRP_FLAGS);
        Path deployJar = root.resolve("usr/share/qemu-dbus-helpers/deploy.jar");
        assertEquals(String.join(" ", HelperArgs.jvmFlags(HelperKind.SLIRP_DHCP)) + "\n", Files.readString(flags));
        assertTrue(Files.getLastModifiedTime(flags).compareTo(Files.getLastModifiedTime(deployJar)) >= 0,
                "the shipped flags are not older than deploy.jar (else the script asks a second JVM at each start)");
        var before = Files.getLastModifiedTime(flags);
        ProcResult caps = ok(Commands.run(Duration.ofMinutes(1), List.of(root.resolve(SLIRP_HELPER).toString(),
                "--print-capabilities")));
        assertTrue(caps.stdout().contains("\"features\""), caps.toString());
        ProcResult help = ok(Commands.run(Duration.ofMinutes(1), List.of("bash", "-x", root.resolve(SLIRP_HELPER).toString(),
                "--help")));
        assertTrue(help.stdout().contains("Usage: helper-slirp-dhcp") && help.stdout().contains("--instance"), help.toString());
        assertTrue(help.stderr().contains("exec java " + String.join(" ", HelperArgs.jvmFlags(HelperKind.SLIRP_DHCP))
                + " -cp " + root.resolve("usr/share/qemu-dbus-helpers/helper-slirp-dhcp.jar")), "the unpacked jar with"
                + " the shipped flags: " + help.stderr());
        assertTrue(!help.stderr().contains("jvm-flags slirp-dhcp"), "no second JVM for the flags: " + help.stderr());
        assertEquals(before, Files.getLastModifiedTime(flags), "the shipped flags are left alone");
    }

    private static List<Path> listFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    private static ProcResult ok(ProcResult r) {
        assertEquals(0, r.exitCode(), r.toString());
        return r;
    }
}
