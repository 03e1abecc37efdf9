package org.qemu.helpers.compress.dbus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.types.Variant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.compress.Main;
import org.qemu.helpers.compress.TestFiles;

/** kill -9 of the helper mid-job, the cleanup at the next start, and the submit client. */
class CrashAndSubmitTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();
    /** dbus-java 5.2.2's reply for a path with no object (a library name, see shared/README.md). */
    static final String UNKNOWN_OBJECT = "org.freedesktop.dbus.errors.UnknownObject";
    static Path base;
    static Path root;
    static Path state;

    @BeforeAll
    static void dirs() throws Exception {
        base = Files.createTempDirectory("hc-crash");
        root = Files.createDirectories(base.resolve("root")).toRealPath();
        state = base.resolve("state");
    }

    @AfterAll
    static void clean() throws Exception {
        try (Stream<Path> s = Files.walk(base)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    HelperProcess startHelper(String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("--root", root.toString(), "--state-dir", state.toString()));
        args.addAll(List.of(more));
        return BUS.startHelper(Main.class, args.toArray(String[]::new)).awaitReady(Duration.ofSeconds(30));
    }

    static List<Path> temps() throws Exception {
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".helper-compress-")).toList();
        }
    }

    @Test
    void killDashNineMidJobLeavesNoDestinationAndNoTemporaryFile() throws Exception {
        Files.write(root.resolve("big"), TestFiles.mixed(40_000_000, 31));
        HelperProcess first = startHelper();
        BusClient c = new BusClient(BUS.connect());
        DBusPath job = c.compress(root + "/big", root + "/big.gz", "gzip", Map.of("level", new Variant<>(9)));
        long end = System.nanoTime() + 30_000_000_000L;
        while (c.num(job, "BytesOut") == 0 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertEquals("running", c.state(job));
        first.kill();
        assertFalse(first.isAlive());
        assertFalse(Files.exists(root.resolve("big.gz")), "no destination after kill -9");
        // the output is an O_TMPFILE inode until it is complete: the kernel frees it with the killed process
        // (the named-temporary fallback and its clean-up at the next start: SafePathsTest/NamedTempsTest)
        assertEquals(List.of(), temps(), "the killed job left a temporary file");
        HelperProcess second = startHelper();
        assertFalse(second.output().contains("stale-temp-removed"), second.output());
        assertFalse(Files.exists(root.resolve("big.gz")));
        assertEquals(0, second.stop());
        Files.delete(root.resolve("big"));
    }

    @Test
    void sigtermMidJobCancelsItCleansUpAndExitsZeroAndFinishedJobsAreUnexported() throws Exception {
        Files.write(root.resolve("t"), TestFiles.mixed(30_000_000, 33));
        Files.write(root.resolve("small"), new byte[] {42});
        HelperProcess h = startHelper("--keep-finished", "1", "--max-finished", "2");
        BusClient c = new BusClient(BUS.connect());
        List<DBusPath> small = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            DBusPath j = c.compress(root + "/small", root + "/small" + i + ".lz4", "lz4", Map.of());
            assertEquals("done", c.await(j, 10_000));
            small.add(j);
        }
        // At most two finished jobs stay: the oldest is unexported (within a progress tick).
        Thread.sleep(400);
        BusClient.assertError(UNKNOWN_OBJECT, () -> c.state(small.get(0)));
        Thread.sleep(1300);
        BusClient.assertError(UNKNOWN_OBJECT, () -> c.state(small.get(2)));
        DBusPath job = c.compress(root + "/t", root + "/t.gz", "gzip", Map.of("level", new Variant<>(9)));
        long end = System.nanoTime() + 30_000_000_000L;
        while (c.num(job, "BytesOut") == 0 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertEquals(0, h.stop(), h.output());
        assertFalse(Files.exists(root.resolve("t.gz")));
        assertEquals(List.of(), temps(), "SIGTERM cancels the job and deletes its temporary file");
        assertTrue(h.output().contains("state=cancelled"), h.output());
        Files.delete(root.resolve("t"));
    }

    ProcResult submit(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "submit", "--bus-address=" + BUS.address()));
        cmd.addAll(List.of(args));
        return Commands.run(Duration.ofSeconds(60), cmd);
    }

    /** One exit-code table for client commands: no bus address is a configuration error (2), as in status. */
    @Test
    void submitWithoutABusAddressIsAConfigurationError() throws Exception {
        HelperProcess p = BUS.startHelper(Main.class, "submit", "--bus-address=", "compress", "/a", "/b");
        assertEquals(org.qemu.helpers.common.exit.ExitCodes.CONFIG, p.awaitExit(java.time.Duration.ofSeconds(30)),
                p.output());
        assertTrue(p.output().contains("no bus address"), p.output());
    }

    @Test
    void submitExitsZeroOnlyWhenTheJobIsDone() throws Exception {
        HelperProcess h = startHelper();
        byte[] data = TestFiles.mixed(5_000_000, 32);
        Files.write(root.resolve("s"), data);
        ProcResult ok = submit("compress", root + "/s", root + "/s.xz", "--format", "xz", "--level", "1");
        assertEquals(0, ok.exitCode(), ok.toString());
        assertTrue(ok.stdout().contains("state=done") && ok.stdout().contains("bytes_in=5000000"), ok.toString());
        Path back = root.resolve("s.back");
        assertEquals(0, TestFiles.run(root.resolve("s.xz"), back, "xz", "-d", "-c"));
        assertArrayEquals(data, Files.readAllBytes(back));

        ProcResult refused = submit("compress", root + "/s", root + "/s.xz", "--format", "xz", "--level", "1");
        assertEquals(2, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("org.qemu.Compress1.Error.Exists"), refused.toString());

        // On a terminal (a pty from script(1)) the progress is a bar redrawn with carriage returns.
        List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "submit", "--bus-address=" + BUS.address(), "decompress", root + "/s.xz", root + "/s.tty"));
        TestFiles.require("script", "bsdutils");
        ProcResult tty = Commands.run(Duration.ofSeconds(60), List.of("script", "-q", "-e", "-c",
                String.join(" ", java.stream().map(a -> "'" + a + "'").toList()), "/dev/null"));
        assertEquals(0, tty.exitCode(), tty.toString());
        assertTrue(tty.stdout().contains("\r[") && tty.stdout().contains("100%"), tty.toString());
        assertArrayEquals(data, Files.readAllBytes(root.resolve("s.tty")));

        // The client checks who owns org.qemu.Compress1: under a policy that rates root untrusted,
        // the root-run helper is not used at all.
        Path distrust = base.resolve("distrust.json");
        Files.writeString(distrust, "{\"default\": \"untrusted\", \"rules\": [{\"uid\": 4242, \"level\": \"helper\"}]}");
        ProcResult untrusted = submit("compress", root + "/s", root + "/s.never", "--policy", distrust.toString());
        assertEquals(3, untrusted.exitCode(), untrusted.toString());
        assertTrue(untrusted.stderr().contains("refusing to use org.qemu.Compress1"), untrusted.toString());
        assertFalse(Files.exists(root.resolve("s.never")));

        ProcResult failed = submit("decompress", root + "/s", root + "/s.out", "--format", "zstd");
        assertEquals(1, failed.exitCode(), failed.toString());
        assertTrue(failed.stdout().contains("state=failed") && failed.stdout().contains("not zstd"), failed.toString());
        assertFalse(Files.exists(root.resolve("s.out")));
        assertEquals(0, h.stop());
    }
}
