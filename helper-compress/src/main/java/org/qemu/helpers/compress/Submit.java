package org.qemu.helpers.compress;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.Variant;
import org.qemu.helpers.common.client.BusClient;
import org.qemu.helpers.common.client.BusClientCommand;
import org.qemu.helpers.common.client.ClientFailure;
import org.qemu.helpers.common.exit.ExitCodes;
import org.qemu.helpers.common.text.Untrusted;
import org.qemu.helpers.common.trust.TrustLevel;
import org.qemu.helpers.compress.dbus.Compress1;
import org.qemu.helpers.compress.dbus.CompressJob1;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The shell user's client: submits one job to org.qemu.Compress1, shows its progress (a bar on a
 * terminal, one plain line a second otherwise) and exits 0 only when the job is done. Ctrl-C
 * cancels the job. Exit codes: 0 done, 1 failed or cancelled, 2 refused, 3 no bus or no helper.
 */
@Command(name = "submit", mixinStandardHelpOptions = true,
        description = "Submit a job to a running helper-compress and follow it to the end.")
final class Submit extends BusClientCommand {
    static final String BUS_NAME = "org.qemu.Compress1";

    @Parameters(index = "0", paramLabel = "OPERATION", description = "compress or decompress")
    String operation;

    @Parameters(index = "1", paramLabel = "SOURCE")
    Path source;

    @Parameters(index = "2", paramLabel = "DESTINATION")
    Path destination;

    @Option(names = {"-f", "--format"}, description = "zstd, gzip, xz, lz4; decompress also auto"
            + " (default: zstd to compress, auto to decompress).")
    String format;

    @Option(names = {"-l", "--level"}, description = "Compression level (zstd 1-19, gzip 1-9, xz 0-9, lz4 1-12).")
    Integer level;

    @Option(names = {"-w", "--workers"}, description = "Threads for this job (capped at the helper's cores).")
    Integer workers;

    @Option(names = "--overwrite", description = "Replace an existing destination.")
    boolean overwrite;

    @Option(names = {"-q", "--quiet"}, description = "No progress, only the final line.")
    boolean quiet;

    @Override
    protected void validate() throws ClientFailure {
        if (!operation.equals("compress") && !operation.equals("decompress")) {
            throw ClientFailure.config("OPERATION must be compress or decompress, not " + operation);
        }
    }

    @Override
    protected int run(BusClient client) throws Exception {
        String fmt = format != null ? format : operation.equals("compress") ? "zstd" : "auto";
        Map<String, Variant<?>> opts = new HashMap<>();
        if (level != null) {
            opts.put("level", new Variant<>(level));
        }
        if (workers != null) {
            opts.put("workers", new Variant<>(workers));
        }
        if (overwrite) {
            opts.put("overwrite", new Variant<>(true));
        }
        DBusConnection conn = client.connection();
        CountDownLatch finished = new CountDownLatch(1);
        String[] jobPath = {null};
        conn.addSigHandler(CompressJob1.Finished.class, s -> {
            if (s.getPath().equals(jobPath[0])) {
                finished.countDown();
            }
        });
        client.requireOwner(BUS_NAME, TrustLevel.HELPER);
        Compress1 svc = conn.getRemoteObject(BUS_NAME, Compress1.PATH, Compress1.class);
        String src = source.toAbsolutePath().normalize().toString();
        String dst = destination.toAbsolutePath().normalize().toString();
        DBusPath path = operation.equals("compress") ? svc.Compress(src, dst, fmt, opts)
                : svc.Decompress(src, dst, fmt, opts);
        jobPath[0] = path.getPath();
        Properties props = conn.getRemoteObject(BUS_NAME, path.getPath(), Properties.class);
        Thread cancelOnInterrupt = new Thread(() -> cancel(conn, path.getPath()));
        Runtime.getRuntime().addShutdownHook(cancelOnInterrupt);
        boolean tty = System.console() != null && !quiet;
        long started = System.nanoTime();
        Map<String, Variant<?>> last;
        while (true) {
            finished.await(tty ? 200 : 1000, TimeUnit.MILLISECONDS);
            last = props.GetAll(CompressJob1.INTERFACE);
            String state = (String) last.get("State").getValue();
            boolean isFinal = state.equals("done") || state.equals("failed") || state.equals("cancelled");
            if (!quiet && !isFinal) {
                if (tty) {
                    err().print("\r" + bar(last, started));
                } else {
                    err().println(line(path.getPath(), last, started));
                }
            }
            if (isFinal) {
                break;
            }
        }
        Runtime.getRuntime().removeShutdownHook(cancelOnInterrupt);
        if (tty) {
            err().print("\r" + bar(last, started) + "\n");
        }
        String state = (String) last.get("State").getValue();
        System.out.println(line(path.getPath(), last, started)
                + (state.equals("failed") ? " error=" + Untrusted.quote((String) last.get("Error").getValue()) : ""));
        return state.equals("done") ? ExitCodes.OK : ExitCodes.FAILED;
    }

    private static void cancel(DBusConnection conn, String path) {
        try {
            conn.getRemoteObject(BUS_NAME, path, CompressJob1.class).Cancel();
            System.err.println("\nhelper-compress submit: interrupted, job " + path + " cancelled");
        } catch (RuntimeException | DBusException e) {
            // the job ended or the bus is gone: nothing left to cancel
        }
    }

    static long num(Map<String, Variant<?>> p, String key) {
        return ((Number) p.get(key).getValue()).longValue();
    }

    static String line(String path, Map<String, Variant<?>> p, long started) {
        double s = (System.nanoTime() - started) / 1e9;
        return String.format(Locale.ROOT, "job=%s state=%s bytes_in=%d bytes_out=%d total_bytes=%d seconds=%.3f",
                path, p.get("State").getValue(), num(p, "BytesIn"), num(p, "BytesOut"), num(p, "TotalBytes"), s);
    }

    static String bar(Map<String, Variant<?>> p, long started) {
        long in = num(p, "BytesIn");
        long total = num(p, "TotalBytes");
        double frac = total > 0 ? Math.min(1.0, (double) in / total) : 0;
        int width = 30;
        int fill = (int) Math.round(frac * width);
        double s = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
        return String.format(Locale.ROOT, "[%s%s] %3.0f%% %s / %s  %.1f MB/s  %-9s", "#".repeat(fill),
                ".".repeat(width - fill), frac * 100, mib(in), mib(total), in / s / 1e6, p.get("State").getValue());
    }

    static String mib(long b) {
        return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
    }
}
