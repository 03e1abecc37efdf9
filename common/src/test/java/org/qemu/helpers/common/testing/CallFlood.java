package org.qemu.helpers.common.testing;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.constants.Flags;

/**
 * The two ways a hostile peer floods a helper without waiting for it, shared by the denial-budget test
 * ({@link DenialFlood}) and deploy's load bench: {@link #pipelined} keeps a window of calls outstanding,
 * {@link #noReplyRounds} sends NO_REPLY_EXPECTED calls and one awaited call, over and over. What a peer can keep
 * queued at a helper is bounded only by dbus-daemon's limits: max_replies_per_connection for calls that want a
 * reply, nothing but the byte limits for NO_REPLY_EXPECTED calls.
 */
public final class CallFlood {
    /** Builds one flooded call with the given header flags. */
    @FunctionalInterface
    public interface Calls {
        MethodCall create(DBusConnection c, byte flags) throws Exception;
    }

    /** Where the outcomes go; called from the flood's threads. */
    public interface Tally {
        /** A call went out; {@code noReplyExpected} if it was flagged so. */
        void sent(boolean noReplyExpected);

        /** The reply or error to an awaited call, or null when none came within the wait. */
        void reply(Message replyOrNull);

        /** Sending or waiting failed: the flood on this connection stops. */
        void failed(Exception e);
    }

    private CallFlood() {
    }

    /**
     * Keeps {@code depth} calls outstanding on {@code c} until {@code endNanos} (System.nanoTime): one thread sends
     * while the window allows, one reaps. A call without a reply {@code waitMillis} after it was sent is reported
     * as null and its slot reused, as a flooder that does not care would; measured from sending, not from reaping,
     * so that calls a helper leaves unanswered are not waited for one after another. Adds both threads, started.
     */
    public static void pipelined(DBusConnection c, Calls calls, int depth, long endNanos, long waitMillis,
                                 Tally tally, List<Thread> threads) {
        Semaphore window = new Semaphore(depth);
        BlockingQueue<MethodCall> outstanding = new ArrayBlockingQueue<>(depth);
        Map<MethodCall, Long> sentAt = new ConcurrentHashMap<>();
        threads.add(start(() -> {
            try {
                while (System.nanoTime() < endNanos) {
                    if (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                    MethodCall m = calls.create(c, (byte) 0);
                    sentAt.put(m, System.nanoTime());
                    c.sendMessage(m);
                    tally.sent(false);
                    outstanding.put(m);
                }
            } catch (Exception e) {
                tally.failed(e);
            }
        }));
        threads.add(start(() -> {
            try {
                // replies come back about in order (dbus-java's FIFO pool), so waiting on the oldest is close enough
                while (System.nanoTime() < endNanos || !outstanding.isEmpty()) {
                    MethodCall m = outstanding.poll(100, TimeUnit.MILLISECONDS);
                    if (m != null) {
                        long left = (sentAt.remove(m) + waitMillis * 1_000_000L - System.nanoTime()) / 1_000_000L;
                        tally.reply(m.getReply(Math.max(1, left)));
                        window.release();
                    }
                }
            } catch (Exception e) {
                tally.failed(e);
            }
        }));
    }

    /**
     * {@code depth} NO_REPLY_EXPECTED calls, then one call awaited up to {@code waitMillis}, until {@code endNanos}.
     * Returns the started thread.
     */
    public static Thread noReplyRounds(DBusConnection c, Calls calls, int depth, long endNanos, long waitMillis,
                                       Tally tally) {
        return start(() -> {
            try {
                while (System.nanoTime() < endNanos) {
                    for (int i = 0; i < depth; i++) {
                        c.sendMessage(calls.create(c, Flags.NO_REPLY_EXPECTED));
                        tally.sent(true);
                    }
                    MethodCall m = calls.create(c, (byte) 0);
                    c.sendMessage(m);
                    tally.reply(m.getReply(waitMillis));
                }
            } catch (Exception e) {
                tally.failed(e);
            }
        });
    }

    private static Thread start(Runnable r) {
        Thread t = new Thread(r, "flood");
        t.start();
        return t;
    }
}
