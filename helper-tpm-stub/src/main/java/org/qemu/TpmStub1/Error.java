package org.qemu.TpmStub1;

import org.freedesktop.dbus.exceptions.DBusExecutionException;

/**
 * Domain errors of org.qemu.TpmStub1. dbus-java derives the D-Bus error name from the class
 * name, so {@code Error.NotStarted} goes out as {@code org.qemu.TpmStub1.Error.NotStarted}.
 */
public final class Error {
    private Error() { }

    /** The TPM has not received TPM2_Startup (or is stopped by the control channel). */
    public static final class NotStarted extends DBusExecutionException {
        public NotStarted(String message) {
            super(message);
        }
    }

    /** The PCR bank exists but is not allocated in this TPM. */
    public static final class BankNotActive extends DBusExecutionException {
        public BankNotActive(String message) {
            super(message);
        }
    }

    /** The PCR may not be extended at the TPM's current locality. */
    public static final class Locality extends DBusExecutionException {
        public Locality(String message) {
            super(message);
        }
    }

    /** The TPM refused the operation with another response code. */
    public static final class Failed extends DBusExecutionException {
        public Failed(String message) {
            super(message);
        }
    }
}
