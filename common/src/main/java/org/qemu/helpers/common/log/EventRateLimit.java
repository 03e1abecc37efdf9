package org.qemu.helpers.common.log;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A token bucket per event name for log lines a peer can trigger at will (an untrusted caller flooding denied
 * calls writes one audit line each): {@code burst} lines at once, then {@code perSecond} on average, so the flood
 * cannot fill the disk or the journal (journald's RateLimitBurst works the same way, per service). The first line
 * let through after a silence says how many were left out. Free of I/O; the clock is injected.
 */
public final class EventRateLimit {
    private final int burst;
    private final double perMilli;
    private final LongSupplier millis;
    private final Map<String, Bucket> buckets = new HashMap<>();

    private static final class Bucket {
        double tokens;
        long at;
        long suppressed;
    }

    public EventRateLimit(int burst, int perSecond, LongSupplier millis) {
        if (burst < 1 || perSecond < 1) {
            throw new IllegalArgumentException("burst and perSecond must be positive");
        }
        this.burst = burst;
        this.perMilli = perSecond / 1000.0;
        this.millis = millis;
    }

    /** The audit default: 50 lines at once, 10 a second after that, per event. */
    public static EventRateLimit forAudit() {
        return new EventRateLimit(50, 10, () -> System.nanoTime() / 1_000_000L);
    }

    /**
     * {@code log} with this limit in front of it, per event name: a line over the limit is dropped (and counted), the
     * next one written carries {@code suppressed_before=N}.
     */
    public EventLog limit(EventLog log) {
        return (level, event, kv) -> {
            long left = admit(event);
            if (left < 0) {
                return;
            }
            if (left == 0) {
                log.log(level, event, kv);
            } else {
                Object[] more = java.util.Arrays.copyOf(kv, kv.length + 2);
                more[kv.length] = "suppressed_before";
                more[kv.length + 1] = left;
                log.log(level, event, more);
            }
        };
    }

    /**
     * Whether a line of {@code event} may be written now: -1 if not (it is counted), else how many lines of this
     * event were left out since the last one written (0 usually), for the line to say.
     */
    public synchronized long admit(String event) {
        long now = millis.getAsLong();
        Bucket b = buckets.computeIfAbsent(event, k -> {
            Bucket fresh = new Bucket();
            fresh.tokens = burst;
            fresh.at = now;
            return fresh;
        });
        b.tokens = Math.min(burst, b.tokens + (now - b.at) * perMilli);
        b.at = now;
        if (b.tokens < 1) {
            b.suppressed++;
            return -1;
        }
        b.tokens -= 1;
        long left = b.suppressed;
        b.suppressed = 0;
        return left;
    }
}
