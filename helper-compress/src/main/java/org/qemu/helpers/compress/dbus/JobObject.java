package org.qemu.helpers.compress.dbus;

import org.qemu.helpers.common.bus.DBusErrors;
import org.qemu.helpers.common.bus.ExportHandle;
import org.qemu.helpers.common.bus.PropertyTable;
import org.qemu.helpers.common.trust.Caller;
import org.qemu.helpers.common.trust.CallerContext;
import org.qemu.helpers.common.trust.TrustLevel;
import org.qemu.helpers.compress.engine.Job;
import org.qemu.helpers.compress.engine.JobRunner;
import org.freedesktop.dbus.types.UInt64;

/** The exported face of one job: its properties and Cancel. */
final class JobObject implements CompressJob1 {
    private final Job job;
    private final JobRunner runner;
    private final String path;
    volatile ExportHandle handle;
    /** Counters last emitted, so the ticker only signals change. */
    long emittedIn = -1;
    long emittedOut = -1;
    boolean finalEmitted;

    JobObject(Job job, JobRunner runner) {
        this.job = job;
        this.runner = runner;
        this.path = PATH_PREFIX + job.id();
    }

    Job job() { return job; }

    PropertyTable properties() {
        return new PropertyTable(INTERFACE)
                .readOnly("State", "s", () -> job.state().wire())
                .readOnly("BytesIn", "t", () -> new UInt64(job.progress().bytesIn()))
                .readOnly("BytesOut", "t", () -> new UInt64(job.progress().bytesOut()))
                .readOnly("TotalBytes", "t", () -> new UInt64(job.progress().totalBytes()))
                .readOnly("Error", "s", job::error)
                .readOnly("Operation", "s", () -> job.spec().direction().wire())
                .readOnly("Format", "s", () -> job.spec().format() == null ? "auto" : job.spec().format().wire())
                .readOnly("Source", "s", job::source)
                .readOnly("Destination", "s", job::destination);
    }

    @Override
    public void Cancel() {
        Caller c = CallerContext.current();
        if (!c.uniqueName().equals(job.submitter()) && !c.has(TrustLevel.ADMIN)) {
            throw DBusErrors.accessDenied("only the peer that submitted job " + job.id()
                    + " or an admin may cancel it");
        }
        runner.cancel(job);
    }

    @Override
    public String getObjectPath() {
        return path;
    }
}
