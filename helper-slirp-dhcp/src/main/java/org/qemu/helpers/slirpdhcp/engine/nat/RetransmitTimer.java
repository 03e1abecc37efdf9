package org.qemu.helpers.slirpdhcp.engine.nat;

/**
 * The retransmission timeout of RFC 6298: SRTT and RTTVAR from RTT samples (2.2, 2.3), RTO = SRTT + max(G,
 * 4*RTTVAR), doubled on each expiry (5.5) up to {@link #MAX_MS}. The lower bound is 200 ms, as Linux uses,
 * rather than 2.4's 1 s: the guest is on a virtual link with sub-millisecond round trips.
 */
final class RetransmitTimer {
    static final long INITIAL_MS = 1000; // RFC 6298 2.1
    static final long MIN_MS = 200;
    static final long MAX_MS = 60_000; // RFC 6298 2.5: a maximum of at least 60 s
    private static final long GRANULARITY_MS = 1;

    private long srtt = -1;
    private long rttvar;
    private long rto = INITIAL_MS;
    private int backoffs;

    long rtoMs() {
        return Math.min(MAX_MS, rto << Math.min(backoffs, 16));
    }

    int backoffs() {
        return backoffs;
    }

    /** RFC 6298 2.2/2.3; Karn's rule (3) is the caller's: no sample from a retransmitted segment. */
    void sample(long rttMs) {
        long r = Math.max(rttMs, 0);
        if (srtt < 0) {
            srtt = r;
            rttvar = r / 2;
        } else {
            rttvar = (3 * rttvar + Math.abs(srtt - r)) / 4;
            srtt = (7 * srtt + r) / 8;
        }
        rto = Math.max(MIN_MS, srtt + Math.max(GRANULARITY_MS, 4 * rttvar));
        backoffs = 0;
    }

    /** RFC 6298 5.5: back off after an expiry. */
    void expired() {
        backoffs++;
    }

    /** New data was acknowledged: the backed-off timer restarts from the estimate (5.7). */
    void acked() {
        backoffs = 0;
    }
}
