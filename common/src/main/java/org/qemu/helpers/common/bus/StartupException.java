package org.qemu.helpers.common.bus;

/** The helper cannot start (bus unreachable, name taken, VMState Id duplicate): a one-line reason. */
public final class StartupException extends Exception {
    public StartupException(String message) {
        super(message);
    }

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
