package org.qemu.helpers.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.qemu.helpers.common.exit.ExitCodes;
import org.qemu.helpers.common.qmp.Qmp;

/**
 * save, restore and migrate, run by the launcher for the operator verbs. QEMU's state goes to a file with QMP
 * {@code migrate exec:} (docs/devel/migration.rst); dbus-vmstate puts the helpers' VMState1 blobs into that
 * stream. Compression and decompression are helper-compress jobs (its own 'submit' client, so the job shows in
 * its job list and its progress in the terminal).
 */
final class VmOperations implements ControlChannel.Handler {
    /** What the launcher does with the processes it owns. */
    interface Vm {
        /** Stops QEMU and the migrating helpers, starts fresh ones and a QEMU that loads {@code raw}. */
        void replace(Path raw, PrintStream out) throws Exception;
    }

    private static final Duration MIGRATION_TIMEOUT = Duration.ofMinutes(5);
    private final VmLayout layout;
    private final String busAddress;
    private final Path compressJar;
    private final Vm vm;
    private int serial;

    VmOperations(VmLayout layout, String busAddress, Path compressJar, Vm vm) {
        this.layout = layout;
        this.busAddress = busAddress;
        this.compressJar = compressJar;
        this.vm = vm;
    }

    @Override
    public synchronized int handle(List<String> words, PrintStream out) throws Exception {
        return switch (words.get(0)) {
            case "save" -> words.size() == 2 ? save(Path.of(words.get(1)), out) : usage(out);
            case "restore" -> words.size() == 2 ? restore(Path.of(words.get(1)), out) : usage(out);
            case "migrate" -> words.size() == 1 ? migrate(out) : usage(out);
            default -> usage(out);
        };
    }

    private static int usage(PrintStream out) {
        out.println("error: requests are 'save FILE', 'restore FILE' or 'migrate'");
        return ExitCodes.CONFIG;
    }

    private Path work(String name) throws IOException {
        return Files.createDirectories(layout.compressRoot().resolve("vm-state")).resolve(name + "-" + (++serial)
                + "-" + ProcessHandle.current().pid());
    }

    int save(Path outFile, PrintStream out) throws Exception {
        if (Files.exists(outFile)) {
            out.println("error: " + outFile + " exists; give a new file (save never replaces one)");
            return ExitCodes.CONFIG;
        }
        Path raw = work("save").resolveSibling("save-" + serial + ".migr");
        Path packed = raw.resolveSibling(raw.getFileName() + ".zst");
        try {
            long downtime = migrateToFile(raw, out);
            try (Qmp q = Qmp.connect(layout.qmp(), Duration.ofSeconds(5))) {
                q.execute("cont", Map.of());
            }
            out.println("save: QEMU state in " + raw + " (" + Files.size(raw) + " bytes, VM paused " + downtime
                    + " ms); the VM runs on");
            int rc = compressJob("compress", raw, packed, out);
            if (rc != ExitCodes.OK) {
                return rc;
            }
            Files.createDirectories(outFile.toAbsolutePath().getParent());
            Files.copy(packed, outFile.resolveSibling(outFile.getFileName() + ".part"), StandardCopyOption.REPLACE_EXISTING);
            Files.move(outFile.resolveSibling(outFile.getFileName() + ".part"), outFile, StandardCopyOption.ATOMIC_MOVE);
            out.println("save: wrote " + outFile + " (" + Files.size(outFile) + " bytes, zstd)");
            return ExitCodes.OK;
        } finally {
            Files.deleteIfExists(raw);
            Files.deleteIfExists(packed);
        }
    }

    int restore(Path file, PrintStream out) throws Exception {
        if (!Files.isRegularFile(file)) {
            out.println("error: " + file + " is not a file 'qemu-helpers save' wrote");
            return ExitCodes.CONFIG;
        }
        Path packed = work("restore").resolveSibling("restore-" + serial + ".migr.zst");
        Path raw = packed.resolveSibling("restore-" + serial + ".migr");
        try {
            Files.copy(file, packed);
            int rc = compressJob("decompress", packed, raw, out);
            if (rc != ExitCodes.OK) {
                return rc;
            }
            long t0 = System.nanoTime();
            vm.replace(raw, out);
            out.println("restore: the VM of " + file + " runs (" + (System.nanoTime() - t0) / 1_000_000
                    + " ms from stopping the old QEMU)");
            return ExitCodes.OK;
        } finally {
            Files.deleteIfExists(raw);
            Files.deleteIfExists(packed);
        }
    }

    int migrate(PrintStream out) throws Exception {
        Path raw = work("migrate").resolveSibling("migrate-" + serial + ".migr");
        try {
            long t0 = System.nanoTime();
            long paused = migrateToFile(raw, out);
            long stopped = System.nanoTime();
            vm.replace(raw, out);
            long end = System.nanoTime();
            out.println("migrate: done; downtime " + (paused + (end - stopped) / 1_000_000) + " ms (source stop-copy "
                    + paused + " ms + fresh helpers and incoming QEMU " + (end - stopped) / 1_000_000 + " ms), total "
                    + (end - t0) / 1_000_000 + " ms");
            return ExitCodes.OK;
        } finally {
            Files.deleteIfExists(raw);
        }
    }

    /** QMP migrate to {@code raw}; returns QEMU's stop-copy downtime in ms. The source QEMU is paused afterwards. */
    private long migrateToFile(Path raw, PrintStream out) throws Exception {
        try (Qmp q = Qmp.connect(layout.qmp(), Duration.ofSeconds(5))) {
            // The file is local: no bandwidth cap (QEMU's default throttles to 128 MiB/s).
            q.execute("migrate-set-parameters", Map.of("max-bandwidth", 1L << 40));
            out.println("migrate: QEMU state to " + raw + " (dbus-vmstate collects the helpers' VMState1 blobs)");
            q.execute("migrate", Map.of("uri", "exec:cat > '" + raw + "'"));
            long end = System.nanoTime() + MIGRATION_TIMEOUT.toNanos();
            while (true) {
                JsonNode r = q.execute("query-migrate", Map.of());
                String status = r.path("status").asText();
                if (status.equals("completed")) {
                    return r.path("downtime").asLong();
                }
                if (status.equals("failed") || status.equals("cancelled") || System.nanoTime() > end) {
                    throw new IOException("migration " + status + ": " + r.path("error-desc").asText(r.toString()));
                }
                Thread.sleep(50);
            }
        }
    }

    /** A helper-compress job through its own client; its progress lines go to {@code out}. */
    private int compressJob(String operation, Path source, Path destination, PrintStream out) throws Exception {
        Process p = new ProcessBuilder(HelperArgs.JAVA, "-jar", compressJar.toString(), "submit", operation,
                source.toString(), destination.toString(), "--format=zstd", "--bus-address=" + busAddress)
                .redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l = r.readLine(); l != null; l = r.readLine()) {
                out.println(operation + ": " + l);
            }
        }
        int rc = p.waitFor();
        if (rc != 0) {
            out.println("error: helper-compress " + operation + " job exited " + rc);
        }
        return rc == 0 ? ExitCodes.OK : ExitCodes.FAILED;
    }
}
