package org.qemu.helpers.slirpdhcp.engine.frame;

import java.util.ArrayList;
import java.util.List;

/**
 * A thread's batch of frames toward the guest: between {@link #begin} and {@link #end}, a sink that can send
 * several frames with one system call (a stream socket) queues them and asks {@link #defer} for one flush at the
 * end. The batch scopes are the places where a thread has produced all it will for now: the end of a burst of
 * guest frames, the end of one round of the NAT's socket thread. A thread outside a batch sends at once.
 */
public final class FrameBatch {
    private static final class Scope {
        int depth;
        final List<Runnable> flushes = new ArrayList<>();
    }

    private static final ThreadLocal<Scope> SCOPE = ThreadLocal.withInitial(Scope::new);

    /**
     * A thread that carries its own scope in a plain field: the event loop's, which opens and closes a batch every
     * round and every guest burst (several times per one-byte round trip), finds it with one type check instead
     * of a ThreadLocal map lookup (the fourth round's profile listed that lookup per frame). Other threads (tests,
     * a DNS upstream completing a query) use the ThreadLocal as before.
     */
    private static final class Carrier extends Thread {
        final Scope scope = new Scope();

        Carrier(Runnable body, String name) {
            super(body, name);
        }
    }

    private FrameBatch() {
    }

    /** A new (unstarted) thread whose batches need no ThreadLocal: for a thread that batches every round. */
    public static Thread newThread(Runnable body, String name) {
        return new Carrier(body, name);
    }

    private static Scope scope() {
        return Thread.currentThread() instanceof Carrier c ? c.scope : SCOPE.get();
    }

    public static void begin() {
        scope().depth++;
    }

    /** Ends the scope; at the outermost end every deferred flush runs, in the order first deferred. */
    public static void end() {
        Scope s = scope();
        if (s.depth == 0 || --s.depth > 0) {
            return;
        }
        for (int i = 0; i < s.flushes.size(); i++) {
            s.flushes.get(i).run();
        }
        s.flushes.clear();
    }

    /**
     * Inside a batch: registers {@code flush} (once, by identity) for the batch's end and returns true. Outside:
     * returns false, and the caller sends now.
     */
    public static boolean defer(Runnable flush) {
        Scope s = scope();
        if (s.depth == 0) {
            return false;
        }
        for (int i = 0; i < s.flushes.size(); i++) {
            if (s.flushes.get(i) == flush) {
                return true;
            }
        }
        s.flushes.add(flush);
        return true;
    }
}
