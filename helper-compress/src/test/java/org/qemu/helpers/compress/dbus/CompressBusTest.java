package org.qemu.helpers.compress.dbus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.interfaces.Properties;
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

/** A real helper-compress process on a private dbus-daemon, driven by a client connection. */
class CompressBusTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();
    static Path root;
    static Path outside;
    static HelperProcess helper;
    static BusClient client;

    @BeforeAll
    static void start() throws Exception {
        TestFiles.require("zstd", "zstd");
        Path base = Files.createTempDirectory("hc-bus");
        root = Files.createDirectories(base.resolve("root")).toRealPath();
        outside = Files.createDirectories(base.resolve("outside")).toRealPath();
        // The helper runs as root; the directory must be reachable for the nobody-uid caller too.
        Files.setPosixFilePermissions(base, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path policy = base.resolve("policy.json");
        Files.writeString(policy, "{\"default\": \"untrusted\", \"rules\": [{\"uid\": 0, \"level\": \"admin\"},"
                + " {\"uid\": 65534, \"level\": \"helper\"}]}");
        helper = BUS.startHelper(Main.class, "--root", root.toString(), "--state-dir", base.resolve("state").toString(),
                "--policy", policy.toString(), "--max-running", "2", "--keep-finished", "60");
        helper.awaitReady(Duration.ofSeconds(30));
        client = new BusClient(BUS.connect());
    }

    @AfterAll
    static void stop() throws Exception {
        if (helper != null) {
            assertEquals(0, helper.stop(), helper.output());
        }
        try (Stream<Path> s = Files.walk(root.getParent())) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static Map<String, Variant<?>> opts(Object... kv) {
        Map<String, Variant<?>> m = new java.util.HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], new Variant<>(kv[i + 1]));
        }
        return m;
    }

    @Test
    void compressThenDecompressAutoRoundTripsAndTheCliAgrees() throws Exception {
        byte[] data = TestFiles.mixed(3_000_000, 21);
        Files.write(root.resolve("rt"), data);
        DBusPath job = client.compress(root + "/rt", root + "/rt.zst", "zstd", opts("level", 5, "workers", 2));
        assertTrue(job.getPath().startsWith("/org/qemu/Compress1/Job/"));
        assertEquals("done", client.await(job, 30_000));
        Map<String, Variant<?>> p = client.props(job);
        assertEquals((long) data.length, ((Number) p.get("BytesIn").getValue()).longValue());
        assertEquals((long) data.length, ((Number) p.get("TotalBytes").getValue()).longValue());
        assertEquals(Files.size(root.resolve("rt.zst")), ((Number) p.get("BytesOut").getValue()).longValue());
        assertEquals("", p.get("Error").getValue());
        Path cli = root.resolve("rt.cli");
        assertEquals(0, TestFiles.run(root.resolve("rt.zst"), cli, "zstd", "-d", "-q", "-c"));
        assertArrayEquals(data, Files.readAllBytes(cli));
        DBusPath back = client.svc.Decompress(root + "/rt.zst", root + "/rt.back", "auto", opts());
        assertEquals("done", client.await(back, 30_000));
        assertArrayEquals(data, Files.readAllBytes(root.resolve("rt.back")));
    }

    @Test
    void everyRefusalIsAClearErrorAndWritesNothing() throws Exception {
        Files.createDirectories(root.resolve("d"));
        Files.write(root.resolve("d/src"), new byte[] {1, 2, 3});
        Files.writeString(root.resolve("d/existing"), "keep");
        Files.writeString(outside.resolve("secret"), "secret");
        Files.createSymbolicLink(root.resolve("ld"), root.resolve("d"));
        Files.createSymbolicLink(root.resolve("d/lsrc"), root.resolve("d/src"));
        Files.createSymbolicLink(root.resolve("d/ldst"), outside.resolve("secret"));
        Map<String, String> before = snapshot();
        String e = "org.qemu.Compress1.Error.";
        String src = root + "/d/src";
        BusClient.assertError(e + "BadPath", () -> client.compress(root + "/d/../../outside/secret", root + "/o",
                "zstd", opts()));
        BusClient.assertError(e + "BadPath", () -> client.compress(src, root + "/d/../../outside/o", "zstd", opts()));
        BusClient.assertError(e + "Symlink", () -> client.compress(root + "/ld/src", root + "/o", "zstd", opts()));
        BusClient.assertError(e + "Symlink", () -> client.compress(src, root + "/ld/o", "zstd", opts()));
        BusClient.assertError(e + "Symlink", () -> client.compress(root + "/d/lsrc", root + "/o", "zstd", opts()));
        BusClient.assertError(e + "Symlink", () -> client.compress(src, root + "/d/ldst", "zstd",
                opts("overwrite", true)));
        String msg = BusClient.assertError(e + "OutsideRoots", () -> client.compress(src, outside + "/o", "zstd",
                opts()));
        assertTrue(msg.contains("not inside any --root"), msg);
        msg = BusClient.assertError(e + "Exists", () -> client.compress(src, root + "/d/existing", "zstd", opts()));
        assertTrue(msg.contains("overwrite=true"), msg);
        BusClient.assertError(e + "SameFile", () -> client.compress(src, src, "zstd", opts("overwrite", true)));
        // InvalidArgs, read as another client (gdbus) sees it on the wire.
        String invalid = "org.freedesktop.DBus.Error.InvalidArgs";
        msg = gdbusCompress(src, root + "/o", "brotli", "{}");
        assertTrue(msg.contains(invalid) && msg.contains("zstd, gzip, xz or lz4"), msg);
        msg = gdbusCompress(src, root + "/o", "zstd", "{'level': <22>}");
        assertTrue(msg.contains(invalid) && msg.contains("1 to 19"), msg);
        msg = gdbusCompress(src, root + "/o", "gzip", "{'level': <'6'>}");
        assertTrue(msg.contains(invalid) && msg.contains("int32"), msg);
        // An untrusted caller (uid 2, "bin", not in the policy) is denied before any work.
        ProcResult r = Commands.runAs(2, "gdbus", "call", "--address", BUS.address(), "--dest",
                "org.qemu.Compress1", "--object-path", "/org/qemu/Compress1", "--method",
                "org.qemu.Compress1.Compress", src, root + "/o", "zstd", "{}");
        assertFalse(r.ok(), r.toString());
        assertTrue(r.stderr().contains("org.freedesktop.DBus.Error.AccessDenied"), r.toString());
        // The name on the wire, as another client sees it.
        r = Commands.run("gdbus", "call", "--address", BUS.address(), "--dest", "org.qemu.Compress1",
                "--object-path", "/org/qemu/Compress1", "--method", "org.qemu.Compress1.Compress", src,
                root + "/d/existing", "zstd", "{}");
        assertTrue(r.stderr().contains("org.qemu.Compress1.Error.Exists"), r.toString());
        assertEquals(before, snapshot(), "refusals wrote nothing");
        assertTrue(helper.output().contains("job-refused"), "refusals are logged");
    }

    @Test
    void cancelMidJobLeavesNoDestinationNoTempAndProgressIsThrottled() throws Exception {
        byte[] data = TestFiles.mixed(64_000_000, 23);
        Files.write(root.resolve("big"), data);
        ConcurrentLinkedQueue<Long> changes = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> finished = new ConcurrentLinkedQueue<>();
        String[] path = {""};
        client.conn.addSigHandler(Properties.PropertiesChanged.class, s -> {
            if (s.getPath().equals(path[0])) {
                changes.add(System.nanoTime());
            }
        });
        client.conn.addSigHandler(CompressJob1.Finished.class, s -> finished.add(s.getPath() + " " + s.getState()));
        DBusPath job = client.compress(root + "/big", root + "/big.gz", "gzip", opts("level", 9));
        path[0] = job.getPath();
        long t0 = System.nanoTime();
        long end = t0 + TimeUnit.SECONDS.toNanos(30);
        while (client.num(job, "BytesIn") == 0 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        Thread.sleep(1000); // let progress signals flow for a while
        assertEquals("running", client.state(job), "the job must still be running to test cancel");
        client.cancel(job);
        assertEquals("cancelled", client.await(job, 10_000));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertFalse(Files.exists(root.resolve("big.gz")), "no destination after cancel");
        try (Stream<Path> s = Files.list(root)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().contains(".helper-compress-")).toList());
        }
        Thread.sleep(300);
        assertTrue(changes.size() >= 3, "progress was signalled: " + changes.size());
        assertTrue(changes.size() <= 4 * seconds + 6, changes.size() + " PropertiesChanged in " + seconds + " s");
        assertTrue(finished.contains(job.getPath() + " cancelled"), finished.toString());
        Files.delete(root.resolve("big"));
    }

    @Test
    void onlyTheSubmitterOrAnAdminMayCancel() throws Exception {
        byte[] data = TestFiles.mixed(48_000_000, 24);
        Files.write(root.resolve("c"), data);
        DBusPath job = client.compress(root + "/c", root + "/c.gz", "gzip", opts("level", 9));
        // uid 65534 is a helper-level peer but not the submitter.
        ProcResult r = Commands.runAs(65534, "gdbus", "call", "--address", BUS.address(), "--dest",
                "org.qemu.Compress1", "--object-path", job.getPath(), "--method", "org.qemu.Compress1.Job.Cancel");
        assertTrue(r.stderr().contains("AccessDenied"), r.toString());
        assertTrue(r.stderr().contains("submitted"), r.toString());
        assertEquals("running", client.state(job).replace("queued", "running"));
        client.cancel(job);
        assertEquals("cancelled", client.await(job, 10_000));
        Files.delete(root.resolve("c"));
    }

    @Test
    void twentySubmissionsAtOnceAllFinishWithNoMoreThanMaxRunning() throws Exception {
        Path dir = Files.createDirectories(root.resolve("twenty"));
        List<byte[]> inputs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            byte[] d = TestFiles.mixed(1_500_000, 100 + i);
            inputs.add(d);
            Files.write(dir.resolve("in" + i), d);
        }
        AtomicBoolean polling = new AtomicBoolean(true);
        AtomicInteger maxSeen = new AtomicInteger();
        Properties svcProps = client.conn.getRemoteObject("org.qemu.Compress1", Compress1.PATH, Properties.class);
        Thread poller = new Thread(() -> {
            while (polling.get()) {
                int running = ((Number) svcProps.Get(Compress1.INTERFACE, "Running")).intValue();
                maxSeen.accumulateAndGet(running, Math::max);
            }
        });
        poller.start();
        ExecutorService pool = Executors.newFixedThreadPool(20);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<DBusPath>> submitted = new ArrayList<>();
        String[] formats = {"zstd", "gzip", "lz4", "zstd"};
        for (int i = 0; i < 20; i++) {
            int n = i;
            submitted.add(pool.submit(() -> {
                go.await();
                return client.compress(dir + "/in" + n, dir + "/out" + n, formats[n % 4], opts("workers", 1));
            }));
        }
        go.countDown();
        Map<Integer, DBusPath> jobs = new ConcurrentHashMap<>();
        for (int i = 0; i < 20; i++) {
            jobs.put(i, submitted.get(i).get(30, TimeUnit.SECONDS));
        }
        pool.shutdown();
        for (int i = 0; i < 20; i++) {
            assertEquals("done", client.await(jobs.get(i), 120_000), "job " + i);
        }
        polling.set(false);
        poller.join(5000);
        assertTrue(maxSeen.get() <= 2, "at most --max-running jobs ran at once, saw " + maxSeen.get());
        assertTrue(maxSeen.get() >= 1, "the poller saw jobs running");
        assertEquals(20, jobs.values().stream().distinct().count(), "every submission got its own job");
        String[] cli = {"zstd", "gzip", "lz4", "zstd"};
        for (int i = 0; i < 20; i++) {
            Path back = dir.resolve("back" + i);
            assertEquals(0, TestFiles.run(dir.resolve("out" + i), back, cli[i % 4], "-d", "-c"));
            assertArrayEquals(inputs.get(i), Files.readAllBytes(back), "job " + i);
        }
    }

    /** Calls Compress with gdbus (GVariant text for the options); returns its stderr. */
    static String gdbusCompress(String src, String dst, String format, String options) throws Exception {
        ProcResult r = Commands.run("gdbus", "call", "--address", BUS.address(), "--dest", "org.qemu.Compress1",
                "--object-path", "/org/qemu/Compress1", "--method", "org.qemu.Compress1.Compress", src, dst, format,
                options);
        assertFalse(r.ok(), r.toString());
        return r.stderr();
    }

    static Map<String, String> snapshot() throws IOException {
        Map<String, String> m = new TreeMap<>();
        for (Path top : List.of(root, outside)) {
            try (Stream<Path> s = Files.walk(top)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    m.put(p.toString(), Files.isSymbolicLink(p) ? "-> " + Files.readSymbolicLink(p)
                            : Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Files.readString(p) : "dir");
                }
            }
        }
        return m;
    }
}
