package org.qemu.helpers.common.testing;

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
 * A hostile peer, run as another UID ({@link AsUid}): floods org.qemu.Sample1.SetValue at DEST without waiting.
 * {@code noreply}: calls flagged NO_REPLY_EXPECTED, then one awaited call, over and over; counts every error that
 * arrives anyway. {@code pipe}: keeps DEPTH calls outstanding per connection (a call without a reply in 0.5 s is
 * counted unanswered and its slot reused, as a flooder that does not care would). Prints one line of counts.
 * Usage: ADDRESS DEST noreply|pipe CONNECTIONS DEPTH SECONDS
 */
public final class DenialFlood {
    private DenialFlood() {
    }

    public static void main(String[] args) throws Exception {
        String address = args[0];
        String dest = args[1];
        boolean pipe = args[2].equals("pipe");
        int conns = Integer.parseInt(args[3]);
        int depth = Integer.parseInt(args[4]);
        long end = System.nanoTime() + Long.parseLong(args[5]) * 1_000_000_000L;
        AtomicLong sent = new AtomicLong();
        Map<String, AtomicLong> replies = new ConcurrentHashMap<>();
        List<DBusConnection> open = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < conns; i++) {
            DBusConnection c = DBusConnectionBuilder.forAddress(address).withShared(false).build();
            open.add(c);
            if (pipe) {
                pipelined(c, dest, depth, end, sent, replies, threads);
            } else {
                threads.add(start(() -> noReplyRounds(c, dest, depth, end, sent, replies)));
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        Thread.sleep(1500); // errors for the last calls still on their way
        long unsolicited = 0;
        for (DBusConnection c : open) {
            while (c.getError() != null) { // errors for which no call was waiting: the NO_REPLY_EXPECTED ones
                unsolicited++;
            }
        }
        System.out.println("sent=" + sent.get() + " unsolicited_errors=" + unsolicited + " replies=" + replies);
        System.out.flush();
        Runtime.getRuntime().halt(0); // calls left unanswered on purpose: do not wait for dbus-java to give them up
    }

    private static MethodCall call(DBusConnection c, String dest, byte flags) throws Exception {
        return c.getMessageFactory().createMethodCall(dest, "/org/qemu/Sample1", "org.qemu.Sample1", "SetValue", flags,
                "s", "flood");
    }

    private static void count(Map<String, AtomicLong> replies, Message r) {
        String k = r == null ? "none" : r.getType() == MessageType.ERROR ? r.getName() : "return";
        replies.computeIfAbsent(k, x -> new AtomicLong()).incrementAndGet();
    }

    private static void noReplyRounds(DBusConnection c, String dest, int depth, long end, AtomicLong sent,
                                      Map<String, AtomicLong> replies) {
        try {
            while (System.nanoTime() < end) {
                for (int i = 0; i < depth; i++) {
                    c.sendMessage(call(c, dest, Flags.NO_REPLY_EXPECTED));
                    sent.incrementAndGet();
                }
                MethodCall m = call(c, dest, (byte) 0);
                c.sendMessage(m);
                count(replies, m.getReply(5_000));
            }
        } catch (Exception e) {
            count(replies, null);
        }
    }

    private static void pipelined(DBusConnection c, String dest, int depth, long end, AtomicLong sent,
                                  Map<String, AtomicLong> replies, List<Thread> threads) {
        Semaphore window = new Semaphore(depth);
        BlockingQueue<MethodCall> outstanding = new ArrayBlockingQueue<>(depth);
        threads.add(start(() -> {
            try {
                while (System.nanoTime() < end) {
                    if (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        continue;
                    }
                    MethodCall m = call(c, dest, (byte) 0);
                    c.sendMessage(m);
                    sent.incrementAndGet();
                    outstanding.offer(m);
                }
            } catch (Exception e) {
                count(replies, null);
            }
        }));
        threads.add(start(() -> {
            try {
                while ((System.nanoTime() < end || !outstanding.isEmpty()) && System.nanoTime() < end + 5_000_000_000L) {
                    MethodCall m = outstanding.poll(100, TimeUnit.MILLISECONDS);
                    if (m != null) {
                        count(replies, m.getReply(500));
                        window.release();
                    }
                }
            } catch (Exception e) {
                count(replies, null);
            }
        }));
    }

    private static Thread start(Runnable r) {
        Thread t = new Thread(r, "flood");
        t.start();
        return t;
    }
}
