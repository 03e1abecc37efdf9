package org.qemu.helpers.compress.engine;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The jobs the bus can see. Finished jobs stay for {@code keepNanos}, and at most {@code maxFinished}
 * of them (the oldest go first), so a busy or hostile submitter cannot grow the table without bound.
 */
public final class JobTable {
    private final ConcurrentHashMap<Long, Job> jobs = new ConcurrentHashMap<>();
    private final long keepNanos;
    private final int maxFinished;

    public JobTable(long keepNanos, int maxFinished) {
        this.keepNanos = keepNanos;
        this.maxFinished = maxFinished;
    }

    public void add(Job job) { jobs.put(job.id(), job); }

    public Optional<Job> get(long id) { return Optional.ofNullable(jobs.get(id)); }

    public Collection<Job> all() { return jobs.values(); }

    /** Removes and returns the finished jobs that are too old or beyond the count limit at {@code nowNanos}. */
    public List<Job> expire(long nowNanos) {
        List<Job> finished = new ArrayList<>();
        for (Job j : jobs.values()) {
            if (j.state().isFinal()) {
                finished.add(j);
            }
        }
        finished.sort(Comparator.comparingLong(Job::finishedAtNanos));
        List<Job> gone = new ArrayList<>();
        int excess = finished.size() - maxFinished;
        for (Job j : finished) {
            if (excess > 0 || nowNanos - j.finishedAtNanos() >= keepNanos) {
                excess--;
                if (jobs.remove(j.id(), j)) {
                    gone.add(j);
                }
            }
        }
        return gone;
    }
}
