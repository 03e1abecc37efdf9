package org.qemu.helpers.compress;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qemu.helpers.common.bus.HelperRuntime;
import org.qemu.helpers.common.bus.Identity;
import org.qemu.helpers.common.cli.ConfigException;
import org.qemu.helpers.common.cli.HelperCommand;
import org.qemu.helpers.common.cli.HelperVersion;
import org.qemu.helpers.compress.dbus.Compress1;
import org.qemu.helpers.compress.dbus.CompressJob1;
import org.qemu.helpers.compress.dbus.CompressService;
import org.qemu.helpers.compress.store.SafeRoots;
import org.qemu.helpers.compress.store.TempJournal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** helper-compress: serves org.qemu.Compress1 (the default), or {@code submit}s a job as a client. */
@Command(name = "helper-compress", mixinStandardHelpOptions = true, versionProvider = HelperVersion.class,
        subcommands = Submit.class,
        description = "Background compression jobs (zstd, gzip, xz, lz4) for one VM's bus, with progress,"
                + " cancel and safe paths.")
@Identity(name = "compress", description = "Background compression jobs with progress",
        serves = {Compress1.class, CompressJob1.class})
public final class Main extends HelperCommand {
    @Option(names = "--root", paramLabel = "DIR",
            description = "A directory jobs may read and write in (repeatable; at least one). Nothing outside is touched.")
    List<Path> roots = new ArrayList<>();

    @Option(names = "--max-running", paramLabel = "N", defaultValue = "2",
            description = "Jobs running at once (default: ${DEFAULT-VALUE}).")
    int maxRunning;

    @Option(names = "--max-queued", paramLabel = "N", defaultValue = "64",
            description = "Jobs waiting at most; more are refused with QueueFull (default: ${DEFAULT-VALUE}).")
    int maxQueued;

    @Option(names = "--keep-finished", paramLabel = "SECONDS", defaultValue = "300",
            description = "How long a finished job stays on the bus (default: ${DEFAULT-VALUE}).")
    int keepFinished;

    @Option(names = "--max-finished", paramLabel = "N", defaultValue = "100",
            description = "Finished jobs kept on the bus at most; the oldest go first (default: ${DEFAULT-VALUE}).")
    int maxFinished;

    public static void main(String[] args) {
        HelperCommand.launch(new Main(), args);
    }

    @Override
    protected void serve(HelperRuntime rt) throws Exception {
        if (roots.isEmpty()) {
            throw ConfigException.option("--root", "at least one --root DIR is required: the only directories"
                    + " jobs may read and write");
        }
        if (maxRunning < 1 || maxRunning > 64) {
            throw ConfigException.option("--max-running", "must be 1 to 64, got " + maxRunning);
        }
        if (maxQueued < 1 || maxQueued > 10_000) {
            throw ConfigException.option("--max-queued", "must be 1 to 10000, got " + maxQueued);
        }
        if (keepFinished < 0 || maxFinished < 0) {
            throw ConfigException.option("--keep-finished/--max-finished", "must not be negative");
        }
        SafeRoots safe;
        try {
            safe = SafeRoots.of(roots);
        } catch (IOException e) {
            throw ConfigException.option("--root", e.getMessage());
        }
        TempJournal journal = new TempJournal(rt.stateDir());
        for (Path p : journal.cleanStale(safe)) {
            rt.log().info("stale-temp-removed", "path", p);
        }
        CompressService service = new CompressService(rt, safe, journal, new CompressService.Limits(maxRunning,
                maxQueued, keepFinished * 1000L, maxFinished));
        service.start(rt.export(service, service.properties()));
        rt.onClose(service::stop);
        rt.readyDetail("roots", safe.realRoots().toString(), "paths", SafeRoots.confinement(), "max_running", maxRunning,
                "heap_mib", Runtime.getRuntime().maxMemory() >> 20);
    }
}
