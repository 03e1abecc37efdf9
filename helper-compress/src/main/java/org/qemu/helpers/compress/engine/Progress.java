package org.qemu.helpers.compress.engine;

import java.util.concurrent.atomic.AtomicLong;

/** A job's live counters and cancel flag, shared by the codec thread and the bus adapter. */
public final class Progress {
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private volatile long totalBytes;
    private volatile boolean cancelled;

    public long bytesIn() { return bytesIn.get(); }
    public long bytesOut() { return bytesOut.get(); }
    public long totalBytes() { return totalBytes; }
    public boolean isCancelled() { return cancelled; }

    public void setTotalBytes(long total) { this.totalBytes = total; }
    public void addIn(long n) { bytesIn.addAndGet(n); }
    public void addOut(long n) { bytesOut.addAndGet(n); }
    public void cancel() { cancelled = true; }

    /** Throws {@link Cancelled} once the job is cancelled; codecs call it between chunks. */
    public void check() throws Cancelled {
        if (cancelled) {
            throw new Cancelled();
        }
    }
}
