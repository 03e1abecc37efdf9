package org.qemu;

import org.freedesktop.dbus.exceptions.DBusExecutionException;

/**
 * Holder of helper-ui-client's domain errors: dbus-java names an error reply after the thrown
 * exception's binary class name, so these reply {@code org.qemu.UiClient1.Error.*}.
 */
public final class UiClient1 {
    private UiClient1() {
    }

    /** Domain errors of org.qemu.UiClient1. */
    public static final class Error {
        private Error() {
        }

        /** No QEMU display to use: org.qemu has no owner, no such console, or no frame yet. */
        public static final class NoDisplay extends DBusExecutionException {
            public NoDisplay(String message) {
                super(message);
            }
        }

        /** The owner of org.qemu is below the vmm trust level; nothing is shown or sent to it. */
        public static final class UntrustedDisplay extends DBusExecutionException {
            public UntrustedDisplay(String message) {
                super(message);
            }
        }
    }
}
