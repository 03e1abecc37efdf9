package org.qemu.helpers.deploy.libvirt;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Tools;

/**
 * A real libvirtd 9.0 and virtlogd (Debian's libvirt-daemon, libvirt-daemon-driver-qemu, libvirt-clients) in a
 * private mount namespace, one per test class: {@code unshare -m --propagation private}, then directories of this
 * test bind-mounted over /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt and
 * /var/lib/qemu-dbus-helpers (the slirp helper's state under root), and copies over /etc/passwd, /etc/group (with
 * the users libvirt wants) and /etc/resolv.conf (no nameserver: no DNS query can leave the machine through the
 * host's resolver). Nothing of the machine's own libvirt is read or changed. The directories are the test's, so the
 * test (outside the namespace) reaches libvirt's sockets and the per-VM buses at their paths under {@link #dir}:
 * {@code qemu:///system?socket=DIR/run/libvirt-sock}. qemu.conf is the issue's: user and group root, no security
 * driver, no cgroups, no dynamic ownership, and {@code slirp_helper} the given script. Stopped and cleaned after the
 * class: every domain destroyed, libvirtd and virtlogd terminated, any process left in the namespace killed by its
 * pid, the directory removed.
 */
final class Libvirtd implements BeforeAllCallback, AfterAllCallback {
    private final Path slirpHelper;
    private Path dir;
    private Process process;
    private String mountNamespace;

    /** @param slirpHelper the slirp helper under test; qemu.conf names a wrapper that runs it with libvirt's argv */
    Libvirtd(Path slirpHelper) {
        this.slirpHelper = slirpHelper;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        stop();
    }

    void start() throws Exception {
        for (String[] t : new String[][] {{"libvirtd", "libvirt-daemon"}, {"virtlogd", "libvirt-daemon"},
                {"virsh", "libvirt-clients"}, {"unshare", "util-linux"}, {"qemu-system-x86_64", "qemu-system-x86"},
                {"dbus-daemon", "dbus-daemon"}}) {
            Tools.require(t[0], t[1]);
        }
        // short: libvirt's socket paths under it must stay below 108 bytes
        dir = Files.createTempDirectory(Path.of("/tmp"), "lvt-");
        for (String d : List.of("etc", "run", "lib/qemu", "log/qemu", "cache/qemu", "helpers")) {
            Files.createDirectories(dir.resolve(d));
        }
        Files.writeString(dir.resolve("etc/qemu.conf"), String.join("\n",
                "# written by the test (Libvirtd): the settings libvirt 9.0 needs to run here without systemd",
                "user = \"root\"", "group = \"root\"", "security_driver = \"none\"", "cgroup_controllers = [ ]",
                "dynamic_ownership = 0", "slirp_helper = \"" + dir.resolve("slirp-helper") + "\"", ""));
        // libvirt runs this with its exact argv; it runs the real script with that argv, then the test's own options
        // (its upstream resolver), and keeps the argv and the helper's log where the test reads them
        Files.writeString(dir.resolve("slirp-extra-args"), "");
        script(dir.resolve("slirp-helper"), "#!/bin/sh\n"
                + "echo \"$$ $*\" >> '" + dir.resolve("slirp-argv.log") + "'\n"
                + "exec '" + slirpHelper + "' \"$@\" $(cat '" + dir.resolve("slirp-extra-args") + "') 2>>'"
                + dir.resolve("slirp-helper.log") + "'\n");
        Files.writeString(dir.resolve("etc/libvirtd.conf"), "# written by the test: defaults\n");
        // the hook README's "Using with libvirt" installs: QEMU starts once the slirp helpers are on the bus
        Path hooks = Files.createDirectories(dir.resolve("etc/hooks/qemu.d"));
        Files.copy(Path.of("libvirt/hooks/qemu.d/qemu-dbus-helpers").toAbsolutePath(), hooks.resolve("qemu-dbus-helpers"));
        Files.setPosixFilePermissions(hooks.resolve("qemu-dbus-helpers"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(dir.resolve("resolv.conf"), "# the test's: no nameserver, no query leaves the machine\n");
        String passwd = Files.readString(Path.of("/etc/passwd"));
        String group = Files.readString(Path.of("/etc/group"));
        if (!group.lines().anyMatch(l -> l.startsWith("kvm:"))) {
            group += "kvm:x:64054:\n";
        }
        if (!passwd.lines().anyMatch(l -> l.startsWith("libvirt-qemu:"))) {
            passwd += "libvirt-qemu:x:64055:64055:libvirt qemu (test):/var/lib/libvirt:/usr/sbin/nologin\n";
            group += "libvirt-qemu:x:64055:\n";
        }
        Files.writeString(dir.resolve("passwd"), passwd);
        Files.writeString(dir.resolve("group"), group);
        StringBuilder sh = new StringBuilder("set -e\n");
        sh.append("mount --bind '").append(dir.resolve("passwd")).append("' /etc/passwd\n");
        sh.append("mount --bind '").append(dir.resolve("group")).append("' /etc/group\n");
        sh.append("mount --bind '").append(dir.resolve("resolv.conf")).append("' /etc/resolv.conf\n");
        String[][] binds = {{"etc", "/etc/libvirt"}, {"run", "/run/libvirt"}, {"lib", "/var/lib/libvirt"},
                {"log", "/var/log/libvirt"}, {"cache", "/var/cache/libvirt"}, {"helpers", "/var/lib/qemu-dbus-helpers"}};
        for (String[] b : binds) {
            sh.append("mkdir -p ").append(b[1]).append(" && mount --bind '").append(dir.resolve(b[0])).append("' ")
                    .append(b[1]).append('\n');
        }
        sh.append("virtlogd -d -p /run/libvirt/virtlogd.pid\n");
        sh.append("exec libvirtd -p /run/libvirt/libvirtd.pid\n");
        Files.writeString(dir.resolve("start.sh"), sh.toString());
        process = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", dir.resolve("start.sh").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("libvirtd.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        ProcResult r = null;
        while (System.nanoTime() < deadline && process.isAlive()) {
            if (Files.exists(dir.resolve("run/libvirt-sock"))) {
                r = virsh("version");
                if (r.ok()) {
                    break;
                }
            }
            Thread.sleep(200);
        }
        assertTrue(r != null && r.ok(), "libvirtd did not answer: " + r + "; its log: " + log());
        mountNamespace = Files.readSymbolicLink(Path.of("/proc", String.valueOf(process.pid()), "ns/mnt")).toString();
    }

    /** Options the slirp helpers started from now on get after libvirt's (e.g. --upstream of the test's DNS). */
    void slirpExtraArgs(String... args) throws IOException {
        Files.writeString(dir.resolve("slirp-extra-args"), String.join(" ", args));
    }

    /** Every command line libvirt ran the slirp helper with, one per line ("PID ARGS"). */
    List<String> slirpArgv() throws IOException {
        Path p = dir.resolve("slirp-argv.log");
        return Files.exists(p) ? Files.readAllLines(p) : List.of();
    }

    /** The slirp helpers' log lines (stderr). */
    String slirpLog() throws IOException {
        Path p = dir.resolve("slirp-helper.log");
        return Files.exists(p) ? Files.readString(p) : "";
    }

    /** The test's directory (libvirt's /run/libvirt is DIR/run, its logs DIR/log). */
    Path dir() {
        return dir;
    }

    /** The URI that reaches this libvirtd from outside its namespace. */
    String uri() {
        return "qemu:///system?socket=" + dir.resolve("run/libvirt-sock");
    }

    /** libvirtd's own log (stdout and stderr). */
    String log() throws IOException {
        return Files.readString(dir.resolve("libvirtd.log"));
    }

    /** A domain's log, as libvirt writes it (QEMU's command line, the slirp helper's). */
    String domainLog(String domain) throws IOException {
        Path p = dir.resolve("log/qemu/" + domain + ".log");
        return Files.exists(p) ? Files.readString(p) : "";
    }

    ProcResult virsh(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("virsh", "-q", "-c", uri()));
        cmd.addAll(List.of(args));
        return Commands.run(Duration.ofSeconds(120), cmd);
    }

    /** virsh that must succeed; returns its stdout. */
    String virshOk(String... args) throws IOException, InterruptedException {
        ProcResult r = virsh(args);
        assertTrue(r.ok(), "virsh " + String.join(" ", args) + ": " + r);
        return r.stdout();
    }

    /**
     * The per-VM bus of running domain {@code name}, as this test reaches it: libvirt's
     * /run/libvirt/qemu/dbus/ID-NAME-dbus.sock, which is DIR/run/qemu/dbus/... here.
     */
    String busAddress(String name) throws IOException, InterruptedException {
        String id = virshOk("domid", name).strip();
        Path sock = dir.resolve("run/qemu/dbus/" + id + "-" + name + "-dbus.sock");
        assertTrue(Files.exists(sock), sock + " missing: " + String.join(" ", list(dir.resolve("run/qemu/dbus"))));
        return "unix:path=" + sock;
    }

    /**
     * Runs {@code command} inside libvirtd's mount namespace (nsenter), where libvirt's own paths are real: virsh's
     * default URI and /run/libvirt/qemu/dbus/... work there as on a host that runs libvirt, as a user would run it.
     */
    ProcResult inNamespace(Duration timeout, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--mount=/proc/" + process.pid() + "/ns/mnt", "--"));
        cmd.addAll(List.of(command));
        return Commands.run(timeout, cmd);
    }

    /** Starts {@code command} inside libvirtd's mount namespace (as {@link #inNamespace}), output to {@code out}. */
    Process startInNamespace(Path out, String... command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--mount=/proc/" + process.pid() + "/ns/mnt", "--"));
        cmd.addAll(List.of(command));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    }

    /** Pids of the processes in libvirtd's mount namespace (libvirtd itself, virtlogd, helpers, QEMU, buses). */
    List<Long> processesInNamespace() throws IOException {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (!n.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    if (Files.readSymbolicLink(p.resolve("ns/mnt")).toString().equals(mountNamespace)) {
                        pids.add(Long.parseLong(n));
                    }
                } catch (IOException e) {
                    // gone, or a kernel thread
                }
            }
        }
        return pids;
    }

    /** The command line of {@code pid} (NUL-separated arguments joined by spaces), or "" when it is gone. */
    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", String.valueOf(pid), "cmdline"))).replace('\0', ' ')
                    .strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** Destroys every running domain. */
    void destroyAll() throws Exception {
        if (process != null && process.isAlive()) {
            for (String d : virsh("list", "--name").stdout().lines().map(String::strip).filter(l -> !l.isEmpty())
                    .toList()) {
                virsh("destroy", d);
            }
        }
    }

    void stop() throws Exception {
        if (process == null) {
            return;
        }
        try {
            destroyAll();
            List<Long> left = mountNamespace == null ? List.of() : processesInNamespace();
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            // virtlogd and anything else the test's libvirtd started: by pid, only those in its namespace
            for (long pid : left) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            for (long pid : left) {
                ProcessHandle.of(pid).ifPresent(h -> {
                    try {
                        h.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    } catch (Exception e) {
                        h.destroyForcibly();
                    }
                });
            }
        } finally {
            process = null;
            deleteTree(dir);
        }
    }

    private static List<String> list(Path d) throws IOException {
        if (!Files.isDirectory(d)) {
            return List.of("(no " + d + ")");
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    static void deleteTree(Path d) throws IOException {
        if (d == null || !Files.exists(d)) {
            return;
        }
        try (Stream<Path> s = Files.walk(d)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Writes an executable script. */
    static Path script(Path file, String text) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }
}
