package org.qemu.helpers.common.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.constants.MessageType;

/**
 * A hostile peer, run as another UID ({@link AsUid}): floods org.qemu.Sample1.SetValue at DEST without waiting
 * ({@link CallFlood}). {@code noreply}: NO_REPLY_EXPECTED calls, then one awaited call, over and over; counts every
 * error that arrives anyway. {@code pipe}: keeps DEPTH calls outstanding per connection (a call without a reply
 * 0.5 s after it was sent is counted unanswered, "none", and its slot reused). Prints one line of counts.
 * Usage: ADDRESS DEST noreply|pipe CONNECTIONS DEPTH SECONDS
 */
public final class DenialFlood {
    private DenialFlood() {
    }

    /**
     * Counts replies by kind ("return", an error name, or "none") and the calls sent: in pipe mode every call, in
     * noreply mode the NO_REPLY_EXPECTED ones only (the test compares them with the gate's silenced count).
     */
    private static final class Counts implements CallFlood.Tally {
        final AtomicLong sent = new AtomicLong();
        final Map<String, AtomicLong> replies = new ConcurrentHashMap<>();
        private final boolean pipe;

        Counts(boolean pipe) {
            this.pipe = pipe;
        }

        @Override
        public void sent(boolean noReplyExpected) {
            if (pipe || noReplyExpected) {
                sent.incrementAndGet();
            }
        }

        @Override
        public void reply(Message r) {
            String k = r == null ? "none" : r.getType() == MessageType.ERROR ? r.getName() : "return";
            replies.computeIfAbsent(k, x -> new AtomicLong()).incrementAndGet();
        }

        @Override
        public void failed(Exception e) {
            reply(null);
        }
    }

    public static void main(String[] args) throws Exception {
        String address = args[0];
        String dest = args[1];
        boolean pipe = args[2].equals("pipe");
        int conns = Integer.parseInt(args[3]);
        int depth = Integer.parseInt(args[4]);
        long end = System.nanoTime() + Long.parseLong(args[5]) * 1_000_000_000L;
        CallFlood.Calls calls = (c, flags) -> call(c, dest, flags);
        Counts counts = new Counts(pipe);
        List<DBusConnection> open = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < conns; i++) {
            DBusConnection c = DBusConnectionBuilder.forAddress(address).withShared(false).build();
            open.add(c);
            if (pipe) {
                CallFlood.pipelined(c, calls, depth, end, 500, counts, threads);
            } else {
                threads.add(CallFlood.noReplyRounds(c, calls, depth, end, 5_000, counts));
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
        System.out.println("sent=" + counts.sent.get() + " unsolicited_errors=" + unsolicited + " replies="
                + counts.replies);
        System.out.flush();
        Runtime.getRuntime().halt(0); // calls left unanswered on purpose: do not wait for dbus-java to give them up
    }

    private static MethodCall call(DBusConnection c, String dest, byte flags) throws Exception {
        return c.getMessageFactory().createMethodCall(dest, "/org/qemu/Sample1", "org.qemu.Sample1", "SetValue", flags,
                "s", "flood");
    }
}
