package org.qemu.helpers.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Tools;

/**
 * The demo end to end, as README runs it: the launcher starts the bus, the four helper jars
 * and QEMU; status lists them; the guest's firmware gets a DHCP lease from the helper; Ctrl-C
 * (SIGTERM here) stops everything the launcher started.
 */
class LaunchDemoTest {
    static final Path REPO = Path.of(System.getProperty("user.dir")).getParent();
    Process launcher;
    Path dir;

    @AfterEach
    void cleanUp() throws Exception {
        if (launcher != null && launcher.isAlive()) {
            launcher.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    static Process java(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    String awaitOutput(Path log, String text, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            String out = Files.readString(log);
            if (out.contains(text)) {
                return out;
            }
            if (!launcher.isAlive()) {
                throw new AssertionError("launcher exited " + launcher.exitValue() + ":\n" + out);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no '" + text + "' within " + timeout + ":\n" + Files.readString(log));
    }

    @Test
    void theDemoRunsEveryHelperAndQemuAndStopsThemAll() throws Exception {
        Tools.require("qemu-system-x86_64", "qemu-system-x86");
        for (HelperKind k : HelperKind.values()) {
            assertTrue(Files.isRegularFile(REPO.resolve(k.jar())), "run 'mvn package' first: " + k.jar());
        }
        dir = Files.createTempDirectory("qdh-demo");
        Path log = dir.resolve("launcher.out");
        launcher = java(log, "launch", "--dir=" + dir.resolve("vm"), "--jars=" + REPO, "--qemu",
                "--web=127.0.0.1:" + freePort(), "--duration=300");
        String out = awaitOutput(log, "running for", Duration.ofSeconds(120));
        for (HelperKind k : HelperKind.values()) {
            assertTrue(out.matches("(?s).*" + k.busName().replace(".", "\\.") + "\\s+" + k.shortName()
                    + "\\s+\\d+\\s+\\d+\\s+admin\\s+ready.*"), k + " in the table:\n" + out);
        }
        assertTrue(out.matches("(?s).*web console: http://127\\.0\\.0\\.1:\\d+/\\?token=[A-Za-z0-9_-]{43}\n.*"), out);
        String address = Files.readString(dir.resolve("vm/bus.address")).strip();

        Process status = java(dir.resolve("status.out"), "status", "--bus-address=" + address);
        assertEquals(0, status.waitFor());
        String table = Files.readString(dir.resolve("status.out"));
        assertEquals(5, table.lines().count(), table);
        for (HelperKind k : HelperKind.values()) {
            assertTrue(table.lines().anyMatch(l -> l.startsWith(k.busName()) && l.contains(" ready ")), table);
        }

        // QEMU is on the bus with its display, and its firmware's DHCP client gets a lease from the helper.
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String leases = "";
        while (System.nanoTime() < end) {
            ProcResult r = Commands.run("busctl", "--address=" + address, "call", "org.qemu.SlirpDhcp1",
                    "/org/qemu/SlirpDhcp1", "org.qemu.SlirpDhcp1", "ListLeases");
            leases = r.stdout();
            if (r.ok() && !leases.startsWith("a(sssx) 0")) {
                break;
            }
            Thread.sleep(500);
        }
        assertTrue(leases.contains("\"10.0.2.15\""), "iPXE's lease: " + leases + "\n" + Files.readString(log));
        assertTrue(Commands.run("busctl", "--address=" + address, "status", "org.qemu").ok(), "QEMU owns org.qemu");

        launcher.destroy(); // SIGTERM, as Ctrl-C would
        assertTrue(launcher.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, launcher.exitValue(), Files.readString(log));
        assertTrue(Files.readString(log).contains("stopped 6 processes"), Files.readString(log));
        assertFalse(Commands.run("busctl", "--address=" + address, "list").ok(), "the bus is gone");

        // The first launch recorded each helper's classes and built its AppCDS archive at the end...
        String stopped = Files.readString(log);
        for (HelperKind k : HelperKind.values()) {
            assertTrue(stopped.contains("cds " + k.shortName() + ": " + dir.resolve("vm/cds/" + k.shortName() + ".jsa")),
                    stopped);
        }
        // ...which the next launch maps into every helper, with nothing more to build at its end.
        Path log2 = dir.resolve("launcher2.out");
        launcher = java(log2, "launch", "--dir=" + dir.resolve("vm"), "--jars=" + REPO,
                "--web=127.0.0.1:" + freePort(), "--duration=300");
        awaitOutput(log2, "running for", Duration.ofSeconds(120));
        String address2 = Files.readString(dir.resolve("vm/bus.address")).strip();
        assertEquals(0, java(dir.resolve("status2.out"), "status", "--bus-address=" + address2).waitFor());
        for (String line : Files.readAllLines(dir.resolve("status2.out"))) {
            if (line.startsWith("org.qemu.")) {
                String[] col = line.trim().split("\\s+");
                String maps = Files.readString(Path.of("/proc", col[2], "maps"));
                assertTrue(maps.contains(dir.resolve("vm/cds/" + col[1] + ".jsa").toString()), col[1] + " maps its archive");
            }
        }
        launcher.destroy();
        assertTrue(launcher.waitFor(60, TimeUnit.SECONDS));
        assertFalse(Files.readString(log2).contains("building AppCDS"), Files.readString(log2));
        Commands.run("rm", "-rf", dir.toString());
    }
}
