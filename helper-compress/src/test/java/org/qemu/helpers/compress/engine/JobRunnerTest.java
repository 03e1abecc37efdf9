package org.qemu.helpers.compress.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class JobRunnerTest {
    static final JobSpec SPEC = new JobSpec(Direction.COMPRESS, Format.ZSTD, 3, 1, false);
    final ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
    final JobListener listener = (job, from) -> events.add(job.id() + ":" + job.state().wire());

    /** A body that runs until released or cancelled, checking the cancel flag like a codec does. */
    static final class Gate implements JobBody {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger discarded = new AtomicInteger();

        @Override
        public void run(Progress p) throws Exception {
            started.countDown();
            while (!release.await(5, TimeUnit.MILLISECONDS)) {
                p.check();
            }
        }

        @Override
        public void discard() { discarded.incrementAndGet(); }
    }

    static void await(Job j, JobState s) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (j.state() != s) {
            assertTrue(System.nanoTime() < end, "job " + j.id() + " is " + j.state() + ", waited for " + s);
            Thread.sleep(2);
        }
    }

    @Test
    void neverRunsMoreThanMaxRunningAndRunsAllInOrder() throws Exception {
        try (JobRunner r = new JobRunner(2, 64, listener, (j, e) -> { })) {
            List<Gate> gates = new ArrayList<>();
            List<Job> jobs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                Gate g = new Gate();
                gates.add(g);
                jobs.add(r.submit(SPEC, "s", "d", "", g));
            }
            assertTrue(gates.get(0).started.await(5, TimeUnit.SECONDS));
            assertTrue(gates.get(1).started.await(5, TimeUnit.SECONDS));
            Thread.sleep(50);
            assertEquals(2, r.running());
            assertEquals(JobState.QUEUED, jobs.get(2).state());
            gates.forEach(g -> g.release.countDown());
            for (Job j : jobs) {
                await(j, JobState.DONE);
            }
            assertEquals(2, r.peakRunning());
            assertEquals(0, r.queued());
        }
    }

    @Test
    void cancelQueuedDiscardsWithoutRunningAndCancelRunningStopsIt() throws Exception {
        try (JobRunner r = new JobRunner(1, 64, listener, (j, e) -> { })) {
            Gate first = new Gate();
            Gate second = new Gate();
            Job a = r.submit(SPEC, "s", "d", "", first);
            Job b = r.submit(SPEC, "s", "d", "", second);
            assertTrue(first.started.await(5, TimeUnit.SECONDS));
            assertTrue(r.cancel(b));
            assertEquals(JobState.CANCELLED, b.state());
            assertEquals(1, second.discarded.get());
            assertTrue(r.cancel(a));
            await(a, JobState.CANCELLED);
            assertEquals(1, second.started.getCount(), "a job cancelled while queued never runs");
            assertTrue(events.contains(b.id() + ":cancelled"));
            assertTrue(!r.cancel(a), "cancelling a finished job reports false");
        }
    }

    @Test
    void failureCarriesTheReasonAndQueueFullIsRefused() throws Exception {
        try (JobRunner r = new JobRunner(1, 2, listener, (j, e) -> { })) {
            Job bad = r.submit(SPEC, "s", "d", "", new JobBody() {
                @Override
                public void run(Progress p) throws IOException { throw new CorruptInput("gzip: CRC-32 mismatch"); }

                @Override
                public void discard() { }
            });
            await(bad, JobState.FAILED);
            assertEquals("gzip: CRC-32 mismatch", bad.error());
            Gate g = new Gate();
            r.submit(SPEC, "s", "d", "", g);
            assertTrue(g.started.await(5, TimeUnit.SECONDS));
            r.submit(SPEC, "s", "d", "", new Gate());
            r.submit(SPEC, "s", "d", "", new Gate());
            Refusal full = assertThrows(Refusal.class, () -> r.submit(SPEC, "s", "d", "", new Gate()));
            assertEquals(Refusal.Kind.QUEUE_FULL, full.kind());
            g.release.countDown();
        }
    }

    @Test
    void finishedJobsExpireByAgeAndByCount() throws Exception {
        try (JobRunner r = new JobRunner(1, 64, listener, (j, e) -> { })) {
            JobTable t = new JobTable(TimeUnit.SECONDS.toNanos(60), 3);
            List<Job> jobs = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Gate g = new Gate();
                g.release.countDown();
                Job j = r.submit(SPEC, "s", "d", "", g);
                t.add(j);
                await(j, JobState.DONE);
                jobs.add(j);
            }
            List<Job> gone = t.expire(System.nanoTime());
            assertEquals(List.of(jobs.get(0), jobs.get(1)), gone, "the oldest beyond the count go first");
            assertEquals(3, t.all().size());
            assertEquals(3, t.expire(System.nanoTime() + TimeUnit.SECONDS.toNanos(61)).size());
            assertTrue(t.all().isEmpty());
        }
    }
}
