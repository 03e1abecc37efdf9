package org.qemu.helpers.common.listen;

import java.io.IOException;

/**
 * A listener could not be opened because its address is taken or its path holds something that is
 * not a stale socket. An IOException so that it passes through transport code unchanged; the
 * helper's start turns it into exit {@code ExitCodes.STARTUP} with this message, which names the
 * address or path.
 */
public final class ListenException extends IOException {
    public ListenException(String message) {
        super(message);
    }

    public ListenException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The first ListenException in {@code t}'s cause chain, or null. */
    public static ListenException in(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof ListenException l) {
                return l;
            }
        }
        return null;
    }
}
