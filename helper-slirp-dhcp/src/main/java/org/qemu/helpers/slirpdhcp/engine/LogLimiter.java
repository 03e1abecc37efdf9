package org.qemu.helpers.slirpdhcp.engine;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Caps log lines a guest can trigger (NAKs, bad hostnames, pool exhaustion) at a few per event kind and second,
 * so a hostile guest cannot flood the host's journal; the next line that gets through says how many were skipped.
 */
final class LogLimiter {
    private static final int PER_SECOND = 5;

    private final Consumer<String> log;
    private final Map<String, long[]> state = new HashMap<>(); // event -> {second, lines this second, suppressed}

    LogLimiter(Consumer<String> log) {
        this.log = log;
    }

    /** Logs {@code line} (which starts with {@code event}) unless this event already logged enough at {@code now}. */
    synchronized void log(String event, long now, String line) {
        long[] s = state.computeIfAbsent(event, k -> new long[3]);
        if (s[0] != now) {
            s[0] = now;
            s[1] = 0;
        }
        if (s[1] >= PER_SECOND) {
            s[2]++;
            return;
        }
        s[1]++;
        if (s[2] > 0) {
            log.accept(line + " suppressed_before=" + s[2]);
            s[2] = 0;
        } else {
            log.accept(line);
        }
    }
}
