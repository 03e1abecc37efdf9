package org.qemu.helpers.deploy.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.constants.MessageType;
import org.qemu.helpers.common.testing.CallFlood;

/**
 * The hostile variant of the load bench's flood (runs in the uid-65534 process): calls are sent without waiting
 * for their replies, against all four helpers at once ({@link FloodMode}; the patterns are {@link CallFlood}'s).
 * Prints one {@link #DETAIL} line per helper, then the summary line the bench reports.
 */
final class PipelinedFlood {
    static final String DETAIL = "flood-detail:";
    private static final String DENIED = "org.freedesktop.DBus.Error.AccessDenied";
    /** How long a flooded call's reply is waited for, from when it was sent ("no reply in 20 s" in the output). */
    private static final long REPLY_WAIT_MS = 20_000;

    /** Outcomes against one helper. */
    private static final class Tally implements CallFlood.Tally {
        final AtomicLong denied = new AtomicLong();
        final AtomicLong letThrough = new AtomicLong();
        final AtomicLong noReply = new AtomicLong();
        final AtomicLong noReplySent = new AtomicLong();
        final Map<String, AtomicLong> otherErrors = new ConcurrentHashMap<>();

        @Override
        public void sent(boolean noReplyExpected) {
            if (noReplyExpected) {
                noReplySent.incrementAndGet();
            }
        }

        @Override
        public void reply(Message r) {
            if (r == null) {
                noReply.incrementAndGet();
            } else if (r.getType() == MessageType.ERROR) {
                if (DENIED.equals(r.getName())) {
                    denied.incrementAndGet();
                } else {
                    otherErrors.computeIfAbsent(r.getName(), k -> new AtomicLong()).incrementAndGet();
                }
            } else {
                letThrough.incrementAndGet();
            }
        }

        @Override
        public void failed(Exception e) {
            otherErrors.computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicLong()).incrementAndGet();
        }
    }

    private PipelinedFlood() {
    }

    static void run(String address, int seconds, FloodMode mode) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        Map<String, Tally> tallies = new java.util.LinkedHashMap<>();
        List<Thread> threads = new ArrayList<>();
        List<DBusConnection> conns = new ArrayList<>();
        for (String helper : LoadBench.HELPER_NAMES) {
            Tally t = new Tally();
            tallies.put(helper, t);
            for (int i = 0; i < mode.connectionsPerHelper(); i++) {
                DBusConnection c = DBusConnectionBuilder.forAddress(address).withShared(false).build();
                conns.add(c);
                CallFlood.Calls calls = (conn, flags) -> LoadBench.floodCall(conn, helper, flags);
                if (mode.kind() == FloodMode.Kind.PIPE) {
                    CallFlood.pipelined(c, calls, mode.depth(), end, REPLY_WAIT_MS, t, threads);
                } else {
                    threads.add(CallFlood.noReplyRounds(c, calls, mode.depth(), end, REPLY_WAIT_MS, t));
                }
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        long denied = 0;
        long through = 0;
        long other = 0;
        long sent = 0;
        for (Map.Entry<String, Tally> e : tallies.entrySet()) {
            Tally t = e.getValue();
            long errs = t.otherErrors.values().stream().mapToLong(AtomicLong::get).sum() + t.noReply.get();
            denied += t.denied.get();
            through += t.letThrough.get();
            other += errs;
            sent += t.noReplySent.get();
            System.out.printf("%s %-20s %d replies denied (%.0f/s), %d NO_REPLY_EXPECTED calls sent (%.0f/s), %d let"
                    + " through, %d no reply in 20 s, other errors %s%n", DETAIL, e.getKey(), t.denied.get(),
                    t.denied.get() / (double) seconds, t.noReplySent.get(), t.noReplySent.get() / (double) seconds,
                    t.letThrough.get(), t.noReply.get(), t.otherErrors);
        }
        for (DBusConnection c : conns) {
            c.disconnect();
        }
        System.out.printf("%d calls denied (%.0f/s) and %d NO_REPLY_EXPECTED calls sent (%.0f/s) by %s, %d let through,"
                + " %d failed otherwise (no reply, another error)%n", denied, denied / (double) seconds, sent,
                sent / (double) seconds, mode.spec(), through, other);
    }
}
