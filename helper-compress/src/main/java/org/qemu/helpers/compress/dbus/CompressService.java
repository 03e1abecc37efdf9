package org.qemu.helpers.compress.dbus;

import org.freedesktop.dbus.utils.NameableThreadFactory;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;
import org.qemu.helpers.common.bus.ExportHandle;
import org.qemu.helpers.common.bus.HelperRuntime;
import org.qemu.helpers.common.bus.PropertyTable;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.common.store.WriteOrder;
import org.qemu.helpers.common.trust.Caller;
import org.qemu.helpers.common.trust.CallerContext;
import org.qemu.helpers.compress.engine.Direction;
import org.qemu.helpers.compress.engine.Format;
import org.qemu.helpers.compress.engine.Job;
import org.qemu.helpers.compress.engine.JobListener;
import org.qemu.helpers.compress.engine.JobRunner;
import org.qemu.helpers.compress.engine.JobSpec;
import org.qemu.helpers.compress.engine.JobState;
import org.qemu.helpers.compress.engine.JobTable;
import org.qemu.helpers.compress.engine.MemoryBudget;
import org.qemu.helpers.compress.engine.Refusal;
import org.qemu.helpers.compress.store.FileJob;
import org.qemu.helpers.compress.store.SafeRoots;
import org.qemu.helpers.compress.store.TempJournal;

/**
 * org.qemu.Compress1: validates a request (options, then paths, opening both ends safely), queues
 * it and exports its job object before it can start. Progress goes out as PropertiesChanged at most
 * {@link #TICKS_PER_SECOND} times a second per job; state changes at once; the end with a final
 * PropertiesChanged and a Finished signal. Finished jobs are unexported by the {@link JobTable} rules.
 */
public final class CompressService implements Compress1, JobListener {
    static final int TICKS_PER_SECOND = 4;

    /** Limits of the service, from the command line. */
    public record Limits(int maxRunning, int maxQueued, long keepFinishedMillis, int maxFinished) { }

    private final HelperRuntime rt;
    private final HelperLog log;
    private final SafeRoots roots;
    private final TempJournal journal;
    private final Limits limits;
    private final JobRunner runner;
    private final JobTable table;
    private final Map<Long, JobObject> objects = new ConcurrentHashMap<>();
    private final ScheduledExecutorService ticker;
    private final int cores = Runtime.getRuntime().availableProcessors();
    private final WriteOrder order;
    private volatile ExportHandle handle;

    public CompressService(HelperRuntime rt, SafeRoots roots, TempJournal journal, Limits limits) {
        this(rt, roots, journal, limits, WriteOrder.NONE);
    }

    /** As the plain constructor; each output's write and force and its Finished reply are reported to {@code order}. */
    public CompressService(HelperRuntime rt, SafeRoots roots, TempJournal journal, Limits limits, WriteOrder order) {
        this.order = order;
        this.rt = rt;
        this.log = rt.log();
        this.roots = roots;
        this.journal = journal;
        this.limits = limits;
        this.table = new JobTable(TimeUnit.MILLISECONDS.toNanos(limits.keepFinishedMillis()), limits.maxFinished());
        this.runner = new JobRunner(limits.maxRunning(), limits.maxQueued(), this,
                (job, e) -> log.unexpected("job-crashed", e, "job", job.id()));
        this.ticker = Executors.newSingleThreadScheduledExecutor(new NameableThreadFactory("compress-progress-", true));
    }

    /** Starts the progress ticker and the sweeper of finished jobs; {@code h} is this object's export. */
    public void start(ExportHandle h) {
        this.handle = h;
        ticker.scheduleAtFixedRate(this::tick, 1000 / TICKS_PER_SECOND, 1000 / TICKS_PER_SECOND,
                TimeUnit.MILLISECONDS);
    }

    public PropertyTable properties() {
        return new PropertyTable(INTERFACE)
                .readOnly("MaxRunning", "u", () -> new UInt32(limits.maxRunning()))
                .readOnly("Running", "u", () -> new UInt32(runner.running()))
                .readOnly("Queued", "u", () -> new UInt32(runner.queued()))
                .readOnly("Formats", "as", () -> Arrays.stream(Format.values()).map(Format::wire).toList())
                .readOnly("Roots", "as", () -> roots.realRoots().stream().map(Object::toString).toList());
    }

    @Override
    public DBusPath Compress(String source, String destination, String format, Map<String, Variant<?>> options) {
        return submit(Direction.COMPRESS, source, destination, format, options);
    }

    @Override
    public DBusPath Decompress(String source, String destination, String format, Map<String, Variant<?>> options) {
        return submit(Direction.DECOMPRESS, source, destination, format, options);
    }

    private DBusPath submit(Direction dir, String source, String destination, String format,
                            Map<String, Variant<?>> options) {
        Caller caller = CallerContext.current();
        try {
            Map<String, Object> plain = new HashMap<>();
            options.forEach((k, v) -> plain.put(k, v.getValue()));
            JobSpec spec = JobSpec.parse(dir, format, plain, cores);
            MemoryBudget.check(spec, Runtime.getRuntime().maxMemory());
            FileJob body = FileJob.open(spec, roots, source, destination, journal, order);
            try {
                Job job = runner.submit(spec, body.source().path().toString(),
                        body.destination().path().toString(), caller.uniqueName(), body);
                log.info("job-submitted", "job", job.id(), "op", dir.wire(),
                        "format", spec.format() == null ? "auto" : spec.format().wire(), "level", spec.level(),
                        "workers", spec.workers(), "source", job.source(), "destination", job.destination(),
                        "caller", caller.uniqueName(), "uid", caller.credentials().uid());
                return new DBusPath(CompressJob1.PATH_PREFIX + job.id());
            } catch (Refusal | RuntimeException e) {
                body.discard();
                throw e;
            }
        } catch (Refusal r) {
            log.info("job-refused", "op", dir.wire(), "reason", r.kind().errorName(), "message", r.getMessage(),
                    "caller", caller.uniqueName(), "uid", caller.credentials().uid());
            throw Errors.of(r);
        }
    }

    /** Exports a new job synchronously (before it can run), then mirrors its state changes. */
    /** The degraded condition while outputs cannot be written for want of space (cleared by the next job done). */
    public static final String SPACE_CONDITION = "output-space";
    /** strerror(ENOSPC), which the JDK puts in the message of the IOException of a failed write. */
    private static final String NO_SPACE = "No space left on device";

    @Override
    public void stateChanged(Job job, JobState from) {
        ExportHandle h = handle;
        if (h != null) {
            h.propertiesChanged(INTERFACE, "Running", "Queued");
        }
        if (from == null) {
            JobObject o = new JobObject(job, runner);
            objects.put(job.id(), o);
            table.add(job);
            o.handle = rt.export(o.getObjectPath(), CompressJob1.class, o, o.properties());
            return;
        }
        JobObject o = objects.get(job.id());
        if (o == null) {
            return;
        }
        synchronized (o) {
            if (job.state().isFinal()) {
                o.finalEmitted = true;
                if (job.state() == JobState.DONE && job.body() instanceof FileJob f) {
                    order.record(WriteOrder.Step.REPLY, f.seq());
                    rt.health().recovered(SPACE_CONDITION);
                } else if (job.state() == JobState.FAILED && job.error().contains(NO_SPACE)) {
                    rt.health().degraded(SPACE_CONDITION, "job " + job.id() + " could not write "
                            + job.destination() + " (" + job.error() + "); new jobs fail until space returns");
                }
                o.handle.propertiesChanged(CompressJob1.INTERFACE, "State", "Error", "BytesIn", "BytesOut",
                        "TotalBytes");
                try {
                    rt.signals().sendMessage(new CompressJob1.Finished(o.getObjectPath(), job.state().wire(),
                            job.error()));
                } catch (DBusException e) {
                    log.warn("signal-failed", "job", job.id(), "error", e.getMessage());
                }
                log.info("job-finished", "job", job.id(), "state", job.state().wire(),
                        "bytes_in", job.progress().bytesIn(), "bytes_out", job.progress().bytesOut(),
                        "ms", job.runMillis(), "error", job.error());
            } else {
                o.handle.propertiesChanged(CompressJob1.INTERFACE, "State", "TotalBytes");
            }
        }
    }

    /** Emits changed counters of running jobs, and unexports expired finished jobs. */
    private void tick() {
        try {
            for (JobObject o : objects.values()) {
                synchronized (o) {
                    Job j = o.job();
                    if (o.finalEmitted || j.state() != JobState.RUNNING) {
                        continue;
                    }
                    long in = j.progress().bytesIn();
                    long out = j.progress().bytesOut();
                    if (in != o.emittedIn || out != o.emittedOut) {
                        o.emittedIn = in;
                        o.emittedOut = out;
                        o.handle.propertiesChanged(CompressJob1.INTERFACE, "BytesIn", "BytesOut", "TotalBytes");
                    }
                }
            }
            for (Job gone : table.expire(System.nanoTime())) {
                JobObject o = objects.remove(gone.id());
                if (o != null) {
                    o.handle.unexport();
                }
            }
        } catch (RuntimeException e) {
            log.unexpected("progress-tick-failed", e);
        }
    }

    /** Cancels every job and waits for them to delete their temporary files. */
    public void stop() throws InterruptedException {
        ticker.shutdownNow();
        runner.shutdown(table.all(), 10_000);
    }

    JobRunner runner() { return runner; }

    @Override
    public String getObjectPath() {
        return PATH;
    }
}
