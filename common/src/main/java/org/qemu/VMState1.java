package org.qemu;

import org.freedesktop.dbus.exceptions.DBusExecutionException;

/** Holder for the domain errors of {@code org.qemu.VMState1} (see org.freedesktop.DBus for why). */
public final class VMState1 {
    private VMState1() {
    }

    /** Errors of the VMState1 interface. */
    public static final class Error {
        private Error() {
        }

        /** A blob given to Load is truncated, oversized, corrupted, of another helper or version. */
        public static final class InvalidState extends DBusExecutionException {
            public InvalidState(String message) {
                super(message);
            }
        }
    }
}
