// Benchmark client for helper-compress: measures one job from the Compress call to its end
// (the Finished signal), or the submit-to-done latency of many 1-byte jobs.
// Run: java -cp helper-compress/target/helper-compress.jar Bench.java ADDRESS job FORMAT LEVEL WORKERS SRC DST
//      java -cp helper-compress/target/helper-compress.jar Bench.java ADDRESS latency N SRC DSTDIR
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.types.Variant;
import org.qemu.helpers.compress.dbus.Compress1;
import org.qemu.helpers.compress.dbus.CompressJob1;

public class Bench {
    static final Map<String, long[]> ENDS = new ConcurrentHashMap<>();
    static final Map<String, String> STATES = new ConcurrentHashMap<>();
    static final Map<String, CountDownLatch> LATCHES = new ConcurrentHashMap<>();

    public static void main(String[] a) throws Exception {
        try (DBusConnection c = DBusConnectionBuilder.forAddress(a[0]).withShared(false).build()) {
            c.addSigHandler(CompressJob1.Finished.class, s -> {
                long now = System.nanoTime();
                STATES.put(s.getPath(), s.getState() + " " + s.getError());
                ENDS.put(s.getPath(), new long[] {now});
                latch(s.getPath()).countDown();
            });
            Compress1 svc = c.getRemoteObject("org.qemu.Compress1", Compress1.PATH, Compress1.class);
            if (a[1].equals("job")) {
                long t0 = System.nanoTime();
                DBusPath p = svc.Compress(a[5], a[6], a[2], Map.of("level", new Variant<>(Integer.parseInt(a[3])),
                        "workers", new Variant<>(Integer.parseInt(a[4])), "overwrite", new Variant<>(true)));
                long end = waitEnd(p, 3600);
                System.out.printf(Locale.ROOT, "%.3f %s%n", (end - t0) / 1e9, STATES.get(p.getPath()));
            } else {
                int n = Integer.parseInt(a[2]);
                List<Double> ms = new ArrayList<>();
                for (int i = 0; i < n + 20; i++) {
                    long t0 = System.nanoTime();
                    DBusPath p = svc.Compress(a[3], a[4] + "/one.zst", "zstd", Map.of("overwrite", new Variant<>(true)));
                    long end = waitEnd(p, 30);
                    if (!STATES.get(p.getPath()).startsWith("done")) {
                        throw new IllegalStateException(STATES.get(p.getPath()));
                    }
                    if (i >= 20) { // the first 20 warm the JIT of both sides
                        ms.add((end - t0) / 1e6);
                    }
                }
                Collections.sort(ms);
                System.out.printf(Locale.ROOT, "median_ms=%.2f p90_ms=%.2f min_ms=%.2f n=%d%n", ms.get(n / 2),
                        ms.get(n * 9 / 10), ms.get(0), n);
            }
        }
    }

    /**
     * Waits for the Finished signal of {@code p} without polling (a polling loop on this 2-core machine
     * takes CPU from the helper being measured, which the CLI side does not suffer). The end time is the
     * one the signal handler took on receipt.
     */
    static long waitEnd(DBusPath p, int seconds) throws InterruptedException {
        if (!latch(p.getPath()).await(seconds, TimeUnit.SECONDS)) {
            throw new IllegalStateException(p + " did not finish");
        }
        return ENDS.get(p.getPath())[0];
    }

    static CountDownLatch latch(String path) {
        return LATCHES.computeIfAbsent(path, k -> new CountDownLatch(1));
    }
}
