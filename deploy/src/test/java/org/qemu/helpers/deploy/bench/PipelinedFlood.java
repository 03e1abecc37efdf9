package org.qemu.helpers.deploy.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.constants.Flags;
import org.freedesktop.dbus.messages.constants.MessageType;

/**
 * The hostile variant of the load bench's flood (runs in the uid-65534 process): calls are sent without waiting
 * for their replies, against all four helpers at once ({@link FloodMode}). What a peer can keep queued at a helper
 * is bounded only by dbus-daemon's limits: max_replies_per_connection (128 by default) for calls that want a reply,
 * nothing but the byte limits for NO_REPLY_EXPECTED calls. Prints one {@link #DETAIL} line per helper, then the
 * summary line the bench reports.
 */
final class PipelinedFlood {
    static final String DETAIL = "flood-detail:";
    private static final String DENIED = "org.freedesktop.DBus.Error.AccessDenied";

    /** Outcomes against one helper. */
    private static final class Tally {
        final AtomicLong denied = new AtomicLong();
        final AtomicLong letThrough = new AtomicLong();
        final AtomicLong noReply = new AtomicLong();
        final AtomicLong noReplySent = new AtomicLong();
        final Map<String, AtomicLong> otherErrors = new ConcurrentHashMap<>();

        void reply(Message r) {
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

        void failed(Exception e) {
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
                if (mode.kind() == FloodMode.Kind.PIPE) {
                    pipelined(c, helper, mode.depth(), end, t, threads);
                } else {
                    threads.add(start(() -> noReplyRounds(c, helper, mode.depth(), end, t)));
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

    /** Keeps {@code depth} calls outstanding on {@code c}: one thread sends while the window allows, one reaps. */
    private static void pipelined(DBusConnection c, String helper, int depth, long end, Tally t, List<Thread> threads) {
        Semaphore window = new Semaphore(depth);
        BlockingQueue<MethodCall> outstanding = new ArrayBlockingQueue<>(depth);
        Map<MethodCall, Long> sentAt = new ConcurrentHashMap<>();
        threads.add(start(() -> {
            try {
                while (System.nanoTime() < end) {
                    if (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                    MethodCall m = LoadBench.floodCall(c, helper, (byte) 0);
                    sentAt.put(m, System.nanoTime());
                    c.sendMessage(m);
                    outstanding.put(m);
                }
            } catch (Exception e) {
                t.failed(e);
            }
        }));
        threads.add(start(() -> {
            try {
                // replies come back about in order (dbus-java's FIFO pool), so waiting on the oldest is close enough
                while (System.nanoTime() < end || !outstanding.isEmpty()) {
                    MethodCall m = outstanding.poll(100, TimeUnit.MILLISECONDS);
                    if (m != null) {
                        // 20 s from when it was sent, not from now: calls a helper leaves unanswered (past its
                        // denial budget) would otherwise be waited for one after another, 20 s each
                        long left = (sentAt.remove(m) + 20_000_000_000L - System.nanoTime()) / 1_000_000L;
                        t.reply(m.getReply(Math.max(1, left)));
                        window.release();
                    }
                }
            } catch (Exception e) {
                t.failed(e);
            }
        }));
    }

    /** {@code depth} NO_REPLY_EXPECTED calls, then one awaited call, until {@code end}. */
    private static void noReplyRounds(DBusConnection c, String helper, int depth, long end, Tally t) {
        try {
            while (System.nanoTime() < end) {
                for (int i = 0; i < depth; i++) {
                    c.sendMessage(LoadBench.floodCall(c, helper, Flags.NO_REPLY_EXPECTED));
                    t.noReplySent.incrementAndGet();
                }
                MethodCall m = LoadBench.floodCall(c, helper, (byte) 0);
                c.sendMessage(m);
                t.reply(m.getReply(20_000));
            }
        } catch (Exception e) {
            t.failed(e);
        }
    }

    private static Thread start(Runnable r) {
        Thread t = new Thread(r, "flood");
        t.start();
        return t;
    }
}
