package org.qemu.helpers.uiclient.web;

import java.util.Arrays;

/**
 * Update-to-browser latencies (nanoseconds) in a fixed ring, for the benchmark: the page
 * acknowledges each drawn rectangle with the server time of the Update it shows.
 */
public final class LatencyStats {
    private static final int SIZE = 4096;
    private final long[] ring = new long[SIZE];
    private long count;
    private long firstNanos;
    private long lastNanos;

    public synchronized void add(long latencyNanos, long now) {
        if (count == 0) {
            firstNanos = now;
        }
        lastNanos = now;
        ring[(int) (count++ % SIZE)] = latencyNanos;
    }

    public synchronized void reset() {
        count = 0;
    }

    /** {count, median ms, p95 ms, frames/s over the sampled span} of the last samples. */
    public synchronized double[] summary() {
        int n = (int) Math.min(count, SIZE);
        if (n == 0) {
            return new double[] {0, 0, 0, 0};
        }
        long[] s = Arrays.copyOf(ring, n);
        Arrays.sort(s);
        double span = (lastNanos - firstNanos) / 1e9;
        return new double[] {count, s[n / 2] / 1e6, s[Math.min(n - 1, (int) Math.ceil(n * 0.95) - 1)] / 1e6,
                span > 0 ? (count - 1) / span : 0};
    }
}
