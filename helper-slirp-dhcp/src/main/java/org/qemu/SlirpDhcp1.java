package org.qemu;

import org.freedesktop.dbus.exceptions.DBusExecutionException;

/**
 * Holder for the domain errors of {@code org.qemu.SlirpDhcp1}: dbus-java names an error reply after the exception's
 * binary class name ($ becomes .), so {@code org.qemu.SlirpDhcp1$Error$NotFound} replies
 * {@code org.qemu.SlirpDhcp1.Error.NotFound}.
 */
public final class SlirpDhcp1 {
    private SlirpDhcp1() {
    }

    /** Errors of the SlirpDhcp1 interface; a refused call changes nothing. */
    public static final class Error {
        private Error() {
        }

        /** No static lease for that MAC, or no host record of that name. */
        public static final class NotFound extends DBusExecutionException {
            public NotFound(String m) {
                super(m);
            }
        }

        /** The address or name is already taken by another entry. */
        public static final class Conflict extends DBusExecutionException {
            public Conflict(String m) {
                super(m);
            }
        }

        /** This instance has no user-mode NAT (no frame front end, or --no-nat): forwards and flows do not exist. */
        public static final class NotSupported extends DBusExecutionException {
            public NotSupported(String m) {
                super(m);
            }
        }

        /** A forward's host address and port cannot be bound (in use, or not an address of this host). */
        public static final class BindFailed extends DBusExecutionException {
            public BindFailed(String m) {
                super(m);
            }
        }

        /** The lease store could not be written; the change was not made durable. */
        public static final class IO extends DBusExecutionException {
            public IO(String m) {
                super(m);
            }
        }
    }
}
