package org.qemu.helpers.slirpdhcp.engine;

/** Wire data that cannot be parsed: a frame, datagram or option is truncated, too long or carries a bad value. */
public final class MalformedException extends Exception {
    public MalformedException(String message) {
        super(message, null, false, false);
    }
}
