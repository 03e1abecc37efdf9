package org.qemu.helpers.compress.dbus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.types.Variant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.compress.Main;
import org.qemu.helpers.compress.TestFiles;

/**
 * Jobs run while another thread swaps the job's directory for a symlink to a directory outside
 * the roots and back, and swaps the source for a symlink to an outside file, 1,000 times: every
 * job either is refused, fails, or compresses the real source into the root; nothing outside the
 * root is read (no output holds the outside secret) or written (the outside directory is unchanged).
 */
class PathRaceTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();
    static final int SWAPS = 1_000;

    @Test
    void swappingDirectoriesAndSymlinksUnderRunningJobsNeverReachesOutside() throws Exception {
        TestFiles.require("zstd", "zstd");
        Path base = Files.createTempDirectory("hc-race").toRealPath();
        Path root = Files.createDirectories(base.resolve("root"));
        Path outside = Files.createDirectories(base.resolve("outside"));
        Path d = Files.createDirectories(root.resolve("d"));
        byte[] data = TestFiles.mixed(300_000, 5);
        byte[] secret = TestFiles.mixed(300_000, 77);
        Files.write(d.resolve("src"), data);
        Files.write(outside.resolve("src"), secret);
        HelperProcess helper = BUS.startHelper(Main.class, "--root", root.toString(), "--state-dir",
                base.resolve("state").toString(), "--max-running", "2", "--max-queued", "1000", "--keep-finished", "60", "--max-finished", "2000");
        helper.awaitReady(Duration.ofSeconds(30));
        BusClient client = new BusClient(BUS.connect());
        AtomicBoolean swapping = new AtomicBoolean(true);
        AtomicInteger swaps = new AtomicInteger();
        AtomicInteger attempts = new AtomicInteger();
        Thread swapper = new Thread(() -> {
            Path moved = root.resolve("d.moved");
            Path srcMoved = root.resolve("src.moved");
            try {
                while (swaps.get() < SWAPS) {
                    int seen = attempts.get();
                    while (attempts.get() == seen) {
                        java.util.concurrent.locks.LockSupport.parkNanos(50_000); // one swap per submission
                    }
                    // the directory becomes a symlink to outside, then comes back
                    Files.move(d, moved, StandardCopyOption.ATOMIC_MOVE);
                    Files.createSymbolicLink(d, outside);
                    java.util.concurrent.locks.LockSupport.parkNanos(300_000);
                    Files.delete(d);
                    Files.move(moved, d, StandardCopyOption.ATOMIC_MOVE);
                    // the source becomes a symlink to the outside file, then comes back
                    Files.move(d.resolve("src"), srcMoved, StandardCopyOption.ATOMIC_MOVE);
                    Files.createSymbolicLink(d.resolve("src"), outside.resolve("src"));
                    java.util.concurrent.locks.LockSupport.parkNanos(300_000);
                    Files.delete(d.resolve("src"));
                    Files.move(srcMoved, d.resolve("src"), StandardCopyOption.ATOMIC_MOVE);
                    swaps.incrementAndGet();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                swapping.set(false);
            }
        }, "swapper");
        List<DBusPath> jobs = new ArrayList<>();
        int refused = 0;
        Map<String, Variant<?>> none = Map.of();
        try {
            swapper.start();
            for (int i = 0; swapping.get(); i++) {
                try {
                    jobs.add(client.compress(d + "/src", d + "/out" + i + ".zst", "zstd", none));
                } catch (DBusExecutionException e) {
                    refused++;
                }
                attempts.incrementAndGet();
            }
            swapper.join();
            int done = 0;
            for (DBusPath j : jobs) {
                if (client.await(j, 60_000).equals("done")) {
                    done++;
                }
            }
            assertEquals(SWAPS, swaps.get());
            try (Stream<Path> s = Files.list(outside)) {
                assertEquals(List.of("src"), s.map(p -> p.getFileName().toString()).toList(),
                        "nothing was written outside the root");
            }
            assertArrayEquals(secret, Files.readAllBytes(outside.resolve("src")));
            List<Path> outputs;
            try (Stream<Path> s = Files.walk(root)) {
                outputs = s.filter(p -> p.getFileName().toString().endsWith(".zst")).toList();
            }
            for (Path out : outputs) {
                Path plain = base.resolve("check");
                assertEquals(0, TestFiles.run(out, plain, "zstd", "-d", "-q", "-c"), out.toString());
                assertArrayEquals(data, Files.readAllBytes(plain), out + " holds something other than the real source");
            }
            System.out.printf("PathRaceTest: %d swaps, %d jobs submitted, %d refused at submit, %d done, %d outputs%n",
                    swaps.get(), jobs.size(), refused, done, outputs.size());
            assertTrue(jobs.size() + refused > 0);
        } finally {
            swapping.set(false);
            swapper.join();
            helper.stop();
            try (Stream<Path> s = Files.walk(base)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
