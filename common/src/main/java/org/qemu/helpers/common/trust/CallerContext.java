package org.qemu.helpers.common.trust;

import java.util.Optional;

/**
 * The caller of the D-Bus method running on this thread, set by the trust gate around each
 * exported call, for checks finer than a level (e.g. "the submitter or an admin").
 */
public final class CallerContext {
    private static final ThreadLocal<Caller> CURRENT = new ThreadLocal<>();

    private CallerContext() {
    }

    /** The current caller; throws when called outside an exported method. */
    public static Caller current() {
        Caller c = CURRENT.get();
        if (c == null) {
            throw new IllegalStateException("no D-Bus call is being handled on this thread");
        }
        return c;
    }

    /** The current caller, if a gated call is running on this thread. */
    public static Optional<Caller> find() {
        return Optional.ofNullable(CURRENT.get());
    }

    /** Set by the trust gate around an exported call; not for helpers. */
    public static void set(Caller caller) {
        CURRENT.set(caller);
    }

    /** Cleared by the trust gate after an exported call. */
    public static void clear() {
        CURRENT.remove();
    }
}
