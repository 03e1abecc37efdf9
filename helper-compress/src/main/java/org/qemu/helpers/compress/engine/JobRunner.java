package org.qemu.helpers.compress.engine;

import org.freedesktop.dbus.utils.NameableThreadFactory;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * Runs jobs at most {@code maxRunning} at a time, FIFO, with at most {@code maxQueued} in state
 * queued (waiting, or handed to a free runner thread but not yet started).
 * Cancel takes a queued job straight to {@code cancelled}; a running one stops at its next chunk.
 */
public final class JobRunner implements AutoCloseable {
    private final int maxRunning;
    private final int maxQueued;
    private final JobListener listener;
    private final BiConsumer<Job, Throwable> unexpected;
    private final ExecutorService pool;
    private final AtomicLong nextId = new AtomicLong(1);
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger peakRunning = new AtomicInteger();

    /**
     * @param unexpected told of a job that failed with an unexpected exception (to log its stack trace)
     */
    public JobRunner(int maxRunning, int maxQueued, JobListener listener, BiConsumer<Job, Throwable> unexpected) {
        if (maxRunning < 1 || maxQueued < 1) {
            throw new IllegalArgumentException("maxRunning and maxQueued must be >= 1");
        }
        this.maxRunning = maxRunning;
        this.maxQueued = maxQueued;
        this.listener = listener;
        this.unexpected = unexpected;
        this.pool = new ThreadPoolExecutor(maxRunning, maxRunning, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                new NameableThreadFactory("compress-job-", true));
    }

    public int maxRunning() { return maxRunning; }
    public int running() { return running.get(); }
    public int queued() { return queued.get(); }
    /** The most jobs ever seen running at once (for tests and the bench). */
    public int peakRunning() { return peakRunning.get(); }

    /** Queues a job. Refused with QUEUE_FULL when {@code maxQueued} jobs already wait. */
    public Job submit(JobSpec spec, String source, String destination, String submitter, JobBody body)
            throws Refusal {
        if (queued.incrementAndGet() > maxQueued) {
            queued.decrementAndGet();
            throw new Refusal(Refusal.Kind.QUEUE_FULL, "the job queue is full (" + maxQueued
                    + " waiting, " + maxRunning + " running); try again later");
        }
        Job job = new Job(nextId.getAndIncrement(), spec, source, destination, submitter, body);
        job.progress().setTotalBytes(body.totalBytes());
        try {
            listener.stateChanged(job, null);
        } catch (RuntimeException e) {
            queued.decrementAndGet();
            throw e;
        }
        try {
            pool.execute(() -> runJob(job));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            if (job.transition(JobState.QUEUED, JobState.CANCELLED, "the helper is stopping")) {
                queued.decrementAndGet();
                listener.stateChanged(job, JobState.QUEUED);
            }
            throw new Refusal(Refusal.Kind.QUEUE_FULL, "the helper is stopping; no new jobs are taken");
        }
        return job;
    }

    private void runJob(Job job) {
        if (!job.transition(JobState.QUEUED, JobState.RUNNING, null)) {
            return; // cancelled while queued: already discarded and counted
        }
        queued.decrementAndGet();
        int now = running.incrementAndGet();
        peakRunning.accumulateAndGet(now, Math::max);
        listener.stateChanged(job, JobState.QUEUED);
        JobState end;
        String why = null;
        try {
            job.progress().check();
            job.body.run(job.progress());
            end = JobState.DONE;
        } catch (Cancelled e) {
            end = JobState.CANCELLED;
        } catch (Exception e) {
            if (job.progress().isCancelled()) {
                end = JobState.CANCELLED;
            } else {
                end = JobState.FAILED;
                why = message(e);
                if (e instanceof RuntimeException) {
                    unexpected.accept(job, e);
                }
            }
        } catch (Error e) {
            end = JobState.FAILED;
            why = "internal error: " + e;
            unexpected.accept(job, e);
        } finally {
            running.decrementAndGet();
        }
        if (job.transition(JobState.RUNNING, end, why)) {
            listener.stateChanged(job, JobState.RUNNING);
        }
    }

    private static String message(Exception e) {
        if (e instanceof Refusal || e instanceof CorruptInput) {
            return e.getMessage();
        }
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    /** Cancels {@code job}; returns false when it had already ended. */
    public boolean cancel(Job job) {
        if (job.transition(JobState.QUEUED, JobState.CANCELLED, null)) {
            queued.decrementAndGet();
            job.progress().cancel();
            job.body.discard();
            listener.stateChanged(job, JobState.QUEUED);
            return true;
        }
        if (job.state() == JobState.RUNNING) {
            job.progress().cancel();
            return true;
        }
        return false;
    }

    /** Stops taking jobs, cancels the running ones and waits up to {@code millis} for them to clean up. */
    public void shutdown(Iterable<Job> jobs, long millis) throws InterruptedException {
        pool.shutdown();
        for (Job j : jobs) {
            cancel(j);
        }
        pool.awaitTermination(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
