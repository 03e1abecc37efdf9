package org.qemu.helpers.common.trust;

import java.util.HashMap;
import java.util.Map;

/**
 * How many AccessDenied errors may wait unwritten in a helper's one sender queue, per sender and in all.
 * <p>
 * dbus-java 5.2.2 writes replies, errors and signals from one FIFO that drains only as fast as the bus daemon
 * reads (300-470 errors a second per helper in the loaded bench), so every error queued for a pipelining flooder
 * is time a trusted reply waits behind it (2,048 calls outstanding: trusted p99 from 1.1 s to 3.4 s). Past the
 * budget a denied call gets no answer at all: dbus-daemon keeps counting it against the caller's
 * max_replies_per_connection, and refuses that connection's further calls itself (LimitsExceeded) without waking
 * the helper. A denied peer then sees its call time out instead of AccessDenied; a trusted caller is never denied,
 * so never held to this. Free of I/O: the gate asks {@link #admit}, the writer reports {@link #written}.
 */
public final class DenialBudget {
    /**
     * Errors one sender may have queued and unwritten. A well-behaved denied client waits for each answer (one
     * outstanding); busctl, gdbus and dbus-java never pipeline on their own; 32 leaves room for a client issuing
     * a few calls in parallel (dbus-java's own pool is 4 threads) while a pipelining peer is cut off after 32.
     */
    public static final int PER_SENDER = 32;
    /**
     * Errors all senders together may have queued: what a trusted reply can wait behind, as Signals.WINDOW (64) is
     * for signal copies. One UID may open many connections (max_connections_per_user), each a sender of its own;
     * 64 errors are about 0.15-0.2 s of the loaded daemon's reading.
     */
    public static final int TOTAL = 64;

    /** What to do with one denied call that wants a reply. */
    public enum Verdict {
        /** Reply AccessDenied: the error is counted until written. */
        ANSWER,
        /** Leave the call unanswered: the budget is spent. */
        WITHHOLD
    }

    private final int perSender;
    private final int total;
    private final Map<String, Integer> queued = new HashMap<>(); // guarded by this; only senders with errors queued
    private int queuedTotal; // guarded by this
    private long answered; // guarded by this
    private long withheld; // guarded by this

    public DenialBudget() {
        this(PER_SENDER, TOTAL);
    }

    public DenialBudget(int perSender, int total) {
        if (perSender < 1 || total < perSender) {
            throw new IllegalArgumentException("need 1 <= perSender <= total, got " + perSender + ", " + total);
        }
        this.perSender = perSender;
        this.total = total;
    }

    /** Whether {@code sender}'s denied call gets its error now; an ANSWER counts until {@link #written}. */
    public synchronized Verdict admit(String sender) {
        int mine = queued.getOrDefault(sender, 0);
        if (mine >= perSender || queuedTotal >= total) {
            withheld++;
            return Verdict.WITHHOLD;
        }
        queued.put(sender, mine + 1);
        queuedTotal++;
        answered++;
        return Verdict.ANSWER;
    }

    /**
     * An AccessDenied error for {@code destination} left the queue (written, or given up). One not admitted here
     * (another error path) is ignored, so a count never goes below what was admitted.
     */
    public synchronized void written(String destination) {
        if (destination == null) {
            return;
        }
        Integer mine = queued.get(destination);
        if (mine == null) {
            return;
        }
        if (mine <= 1) {
            queued.remove(destination);
        } else {
            queued.put(destination, mine - 1);
        }
        queuedTotal--;
    }

    /** Errors admitted and not yet written, in all. */
    public synchronized int queued() {
        return queuedTotal;
    }

    /** Errors admitted and not yet written for {@code sender}. */
    public synchronized int queued(String sender) {
        return queued.getOrDefault(sender, 0);
    }

    /** Denied calls answered with AccessDenied through the budget since start. */
    public synchronized long answered() {
        return answered;
    }

    /** Denied calls left unanswered for a spent budget since start. */
    public synchronized long withheld() {
        return withheld;
    }
}
