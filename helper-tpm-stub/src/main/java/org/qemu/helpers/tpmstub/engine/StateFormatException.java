package org.qemu.helpers.tpmstub.engine;

/** A state blob that is truncated, corrupt, of an unknown version or inconsistent; nothing was applied. */
public final class StateFormatException extends Exception {
    public StateFormatException(String message) {
        super(message);
    }
}
