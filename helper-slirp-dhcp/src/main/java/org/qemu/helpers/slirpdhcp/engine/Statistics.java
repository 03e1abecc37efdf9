package org.qemu.helpers.slirpdhcp.engine;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Named counters, safe for concurrent increments (the Statistics D-Bus property reads them). */
public final class Statistics {
    public static final String DROPPED_MALFORMED = "dropped_malformed";
    public static final String DROPPED_OTHER = "dropped_other";
    public static final String OFFERS = "dhcp_offers";
    public static final String ACKS = "dhcp_acks";
    public static final String NAKS = "dhcp_naks";
    public static final String POOL_EXHAUSTED = "dhcp_pool_exhausted";
    public static final String DNS_QUERIES = "dns_queries";
    public static final String DNS_LOCAL = "dns_local_answers";
    public static final String DNS_NXDOMAIN = "dns_nxdomain";
    public static final String DNS_FORWARDED = "dns_forwarded";
    public static final String DNS_CACHE_HITS = "dns_cache_hits";
    public static final String DNS_UPSTREAM_FAILURES = "dns_upstream_failures";
    public static final String DNS_TRUNCATED = "dns_truncated";

    private final ConcurrentHashMap<String, LongAdder> counters = new ConcurrentHashMap<>();

    /**
     * The counter {@code name} itself, for a caller that counts per frame: resolved once and held in a field, so
     * the hot path is one {@link LongAdder#increment} with no map lookup (the fourth round's profile of a
     * one-byte round trip found the lookups per frame). It reads 0 in {@link #snapshot} until first counted.
     */
    public LongAdder counter(String name) {
        return counters.computeIfAbsent(name, k -> new LongAdder());
    }

    public void inc(String name) {
        LongAdder a = counters.get(name); // plain get first: the hot path finds the counter
        if (a == null) {
            a = counters.computeIfAbsent(name, k -> new LongAdder());
        }
        a.increment();
    }

    public long get(String name) {
        LongAdder a = counters.get(name);
        return a == null ? 0 : a.sum();
    }

    public Map<String, Long> snapshot() {
        Map<String, Long> out = new TreeMap<>();
        counters.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
