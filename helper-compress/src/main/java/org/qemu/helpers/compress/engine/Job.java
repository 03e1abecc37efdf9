package org.qemu.helpers.compress.engine;

/** One submitted job: its request, who submitted it, live counters and state. */
public final class Job {
    private final long id;
    private final JobSpec spec;
    private final String source;
    private final String destination;
    private final String submitter;
    private final Progress progress = new Progress();
    private volatile JobState state = JobState.QUEUED;
    private volatile String error = "";
    private volatile long finishedAtNanos;
    private volatile long startedAtNanos;
    final JobBody body;

    Job(long id, JobSpec spec, String source, String destination, String submitter, JobBody body) {
        this.id = id;
        this.spec = spec;
        this.source = source;
        this.destination = destination;
        this.submitter = submitter;
        this.body = body;
    }

    public long id() { return id; }
    public JobSpec spec() { return spec; }
    public String source() { return source; }
    public String destination() { return destination; }
    /** The bus unique name that submitted the job ("" when submitted in-process). */
    public String submitter() { return submitter; }
    public Progress progress() { return progress; }
    public JobBody body() { return body; }
    public JobState state() { return state; }
    /** Why the job failed, "" otherwise. */
    public String error() { return error; }
    /** System.nanoTime() when the job reached a final state. */
    public long finishedAtNanos() { return finishedAtNanos; }
    /** Milliseconds from start to end, 0 if the job never ran. */
    public long runMillis() {
        return startedAtNanos == 0 || finishedAtNanos == 0 ? 0 : (finishedAtNanos - startedAtNanos) / 1_000_000;
    }

    /** Moves to {@code next} if the job is in {@code expected}; returns whether it moved. */
    synchronized boolean transition(JobState expected, JobState next, String why) {
        if (state != expected) {
            return false;
        }
        if (next == JobState.RUNNING) {
            startedAtNanos = System.nanoTime();
        }
        if (next.isFinal()) {
            finishedAtNanos = System.nanoTime();
            error = why == null ? "" : why;
        }
        state = next;
        return true;
    }

    @Override
    public String toString() {
        return "job=" + id + " state=" + state.wire();
    }
}
