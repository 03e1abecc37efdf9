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

    private FrameBatch() {
    }

    public static void begin() {
        SCOPE.get().depth++;
    }

    /** Ends the scope; at the outermost end every deferred flush runs, in the order first deferred. */
    public static void end() {
        Scope s = SCOPE.get();
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
        Scope s = SCOPE.get();
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
