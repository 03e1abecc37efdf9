package org.qemu.helpers.common.vmstate;

/** A migration blob that cannot be loaded; the message says what was wrong with it. */
public final class InvalidStateException extends Exception {
    public InvalidStateException(String message) {
        super(message);
    }
}
