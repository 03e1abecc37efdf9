package org.qemu.helpers.compress.dbus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.types.Variant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.bus.HelperIdentity;
import org.qemu.helpers.common.bus.HelperRuntime;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.RecordedOrder;
import org.qemu.helpers.common.testing.SmallTmpfs;
import org.qemu.helpers.common.testing.StatusWatch;
import org.qemu.helpers.common.trust.TrustPolicy;
import org.qemu.helpers.compress.Main;
import org.qemu.helpers.compress.TestFiles;
import org.qemu.helpers.compress.store.SafeRoots;
import org.qemu.helpers.compress.store.TempJournal;

/**
 * A job's output is on disk (file and directory fsynced) before its Finished reply goes out
 * (recorded order, service on a real bus), and a full file system (a real tmpfs as the root)
 * fails the job with a clear error, leaves no destination and no temporary file, and the same
 * job succeeds once space returns.
 */
class OutputDurabilityTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    static final Map<String, Variant<?>> NONE = Map.of();

    @Test
    void finishedGoesOutAfterTheOutputIsForced() throws Exception {
        Path root = Files.createTempDirectory("hc-order").toRealPath();
        HelperLog quiet = new HelperLog("compress", HelperLog.Level.ERROR, new PrintStream(OutputStream.nullOutputStream()));
        long uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        RecordedOrder order = new RecordedOrder();
        HelperRuntime rt = HelperRuntime.start(new HelperIdentity("compress", "org.qemu.Compress1", "test", "",
                List.of(Compress1.INTERFACE)), BUS.address(), TrustPolicy.ownUidOnly(uid), root, quiet, "test");
        CompressService svc = new CompressService(rt, SafeRoots.of(List.of(root)), new TempJournal(root.resolve("state")),
                new CompressService.Limits(2, 64, 60_000, 100), order);
        try {
            svc.start(rt.export(Compress1.PATH, Compress1.class, svc, svc.properties()));
            rt.ready();
            BusClient client = new BusClient(BUS.connect());
            Files.write(root.resolve("src"), TestFiles.mixed(300_000, 3));
            for (int i = 0; i < 10; i++) {
                DBusPath job = client.compress(root + "/src", root + "/out" + i, i % 2 == 0 ? "zstd" : "gzip", NONE);
                assertEquals("done", client.await(job, 30_000));
            }
            // the State the client polled can be visible a moment before the Finished reply is recorded
            long end = System.nanoTime() + 10_000_000_000L;
            while (order.replies() < 10 && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertEquals(10, order.replies(), order.entries().toString());
            order.assertEachReplyAfterItsForce();
        } finally {
            svc.stop();
            rt.close();
            try (Stream<Path> s = Files.walk(root)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aFullRootFailsTheJobClearlyLeavesNothingAndRecovers() throws Exception {
        try (SmallTmpfs fs = SmallTmpfs.mount(2048)) {
            Path root = fs.dir().resolve("root");
            Files.createDirectories(root);
            byte[] data = TestFiles.mixed(400_000, 9);
            Files.write(root.resolve("src"), data);
            // connected before the helper starts: it learns of later peers from NameOwnerChanged, asynchronously
            StatusWatch status = StatusWatch.on(BUS.connect());
            HelperProcess helper = BUS.startHelper(Main.class, "--root", root.toString(), "--state-dir",
                    BUS.dir().resolve("state-full").toString()).awaitReady(Duration.ofSeconds(30));
            try {
                BusClient client = new BusClient(BUS.connect());
                fs.fill();
                DBusPath job = client.compress(root + "/src", root + "/out.lz4", "lz4", NONE);
                assertEquals("failed", client.await(job, 30_000));
                String error = (String) client.props(job).get("Error").getValue();
                assertTrue(error.contains("No space left"), error);
                // issue 11: discovery showed ready while every job failed for want of space
                String reason = status.await("degraded", Duration.ofSeconds(10)).reason();
                assertTrue(reason.startsWith("output-space: job ") && reason.contains(root + "/out.lz4")
                        && reason.contains("No space left"), reason);
                status.clear(); // the ready of the start was recorded too
                assertFalse(Files.exists(root.resolve("out.lz4")), "no destination after a failed job");
                try (Stream<Path> s = Files.list(root)) {
                    assertEquals(List.of("src"), s.map(p -> p.getFileName().toString()).toList(),
                            "no temporary file left");
                }
                assertArrayEquals(data, Files.readAllBytes(root.resolve("src")), "the source is intact");
                fs.free();
                DBusPath again = client.compress(root + "/src", root + "/out.lz4", "lz4", NONE);
                assertEquals("done", client.await(again, 30_000));
                assertTrue(Files.size(root.resolve("out.lz4")) > 0);
                assertEquals("", status.await("ready", Duration.ofSeconds(10)).reason(), "space returned");
            } finally {
                helper.stop();
            }
        }
    }
}
