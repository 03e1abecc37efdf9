package org.qemu.helpers.compress.dbus;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
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

/**
 * 10,000 jobs through a real helper-compress process: what a finished job leaves behind is
 * bounded by --max-finished, in the bus's object tree and in the heap (instances counted by
 * jcmd's class histogram, which runs a full GC first).
 */
class JobLeakTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();
    static final int JOBS = 10_000;
    static final int MAX_FINISHED = 20;
    static Path root;
    static HelperProcess helper;
    static BusClient client;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createTempDirectory("hc-leak").toRealPath();
        Files.write(root.resolve("src"), new byte[] {42});
        helper = BUS.startHelper(Main.class, "--root", root.toString(), "--state-dir", root.resolve("state").toString(),
                "--max-running", "2", "--max-queued", "64", "--keep-finished", "0",
                "--max-finished", String.valueOf(MAX_FINISHED));
        helper.awaitReady(Duration.ofSeconds(30));
        client = new BusClient(BUS.connect());
    }

    @AfterAll
    static void stop() throws Exception {
        if (helper != null) {
            helper.stop();
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void tenThousandJobsLeaveExportsAndHeapBounded() throws Exception {
        Files.createDirectories(root.resolve("out"));
        run(0, 1_000);
        Map<String, Long> early = histogram();
        run(1_000, JOBS);
        Thread.sleep(1_500); // two sweeps of the finished jobs (every 250 ms; kept 0 s)
        Map<String, Long> late = histogram();
        long handles = late.getOrDefault("org.qemu.helpers.common.bus.ExportHandle", 0L);
        long jobs = late.getOrDefault("org.qemu.helpers.compress.dbus.CompressService$JobObject", 0L);
        // Helper1, Compress1 and the finished jobs the table keeps
        assertTrue(handles <= MAX_FINISHED + 4, "ExportHandle instances after " + JOBS + " jobs: " + handles);
        assertTrue(jobs <= MAX_FINISHED + 2, "JobObject instances after " + JOBS + " jobs: " + jobs);
        ProcResult tree = BUS.busctl("tree", "--list", "org.qemu.Compress1");
        long exported = tree.stdout().lines().filter(l -> l.contains("/Job/")).count();
        assertTrue(exported <= MAX_FINISHED, "job objects still on the bus: " + exported + "\n" + tree.stdout());
        long earlyBytes = early.get("total");
        long lateBytes = late.get("total");
        System.out.printf("JobLeakTest: after 1,000 jobs %d live bytes, %d ExportHandle; after %d jobs %d live bytes,"
                + " %d ExportHandle, %d JobObject, %d job objects on the bus%n", earlyBytes,
                early.getOrDefault("org.qemu.helpers.common.bus.ExportHandle", 0L), JOBS, lateBytes, handles, jobs,
                exported);
        assertTrue(lateBytes < earlyBytes + 2_000_000, "live heap after 1,000 jobs " + earlyBytes + " B, after "
                + JOBS + " jobs " + lateBytes + " B");
    }

    /** Submits jobs {@code from}..{@code to}-1 (retrying while the queue is full) and waits for all. */
    private void run(int from, int to) throws Exception {
        Map<String, Variant<?>> none = Map.of();
        for (int i = from; i < to; i++) {
            while (true) {
                try {
                    client.compress(root + "/src", root + "/out/o" + i, "lz4", none);
                    break;
                } catch (DBusExecutionException e) {
                    if (!BusClient.errorName(e).endsWith("QueueFull")) {
                        throw e;
                    }
                    Thread.sleep(2);
                }
            }
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (Files.list(root.resolve("out")).count() < to - 0L || running() > 0) {
            assertTrue(System.nanoTime() < deadline, "jobs did not finish");
            Thread.sleep(20);
        }
    }

    private long running() throws Exception {
        ProcResult r = BUS.busctl("get-property", "org.qemu.Compress1", "/org/qemu/Compress1", "org.qemu.Compress1",
                "Running", "Queued");
        return r.stdout().lines().mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).sum();
    }

    /** Live instances per class, and "total" live bytes, after a full GC (jcmd GC.class_histogram). */
    private static Map<String, Long> histogram() throws Exception {
        ProcResult r = Commands.run(Duration.ofSeconds(60), java.util.List.of(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(helper.pid()), "GC.class_histogram"));
        assertTrue(r.ok(), r.toString());
        Map<String, Long> out = new java.util.HashMap<>();
        Pattern row = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");
        Pattern total = Pattern.compile("^Total\\s+(\\d+)\\s+(\\d+)");
        for (String l : r.stdout().lines().toList()) {
            Matcher m = row.matcher(l);
            if (m.find()) {
                out.put(m.group(3), Long.parseLong(m.group(1)));
            }
            Matcher t = total.matcher(l);
            if (t.find()) {
                out.put("total", Long.parseLong(t.group(2)));
            }
        }
        return out;
    }
}
