package org.freedesktop;

import org.freedesktop.dbus.exceptions.DBusExecutionException;

/**
 * Holder for the standard error names of the D-Bus specification. dbus-java names an error
 * reply after the thrown exception's binary class name ($ becomes .), so a nested class
 * {@code org.freedesktop.DBus$Error$AccessDenied} replies
 * {@code org.freedesktop.DBus.Error.AccessDenied}, the name clients and busctl know.
 */
public final class DBus {
    private DBus() {
    }

    /** Standard errors, D-Bus specification "Message Bus Messages" and Properties interface. */
    public static final class Error {
        private Error() {
        }

        /** The caller's trust level is below what the member needs. */
        public static final class AccessDenied extends DBusExecutionException {
            public AccessDenied(String message) {
                super(message);
            }
        }

        /** An argument was malformed or out of range. */
        public static final class InvalidArgs extends DBusExecutionException {
            public InvalidArgs(String message) {
                super(message);
            }
        }

        /** Set on a property that cannot be written. */
        public static final class PropertyReadOnly extends DBusExecutionException {
            public PropertyReadOnly(String message) {
                super(message);
            }
        }

        /** Get or Set of a property the interface does not have. */
        public static final class UnknownProperty extends DBusExecutionException {
            public UnknownProperty(String message) {
                super(message);
            }
        }

        /** An interface this object does not serve. */
        public static final class UnknownInterface extends DBusExecutionException {
            public UnknownInterface(String message) {
                super(message);
            }
        }

        /** A request over a fixed limit (e.g. a blob larger than 1 MiB). */
        public static final class LimitsExceeded extends DBusExecutionException {
            public LimitsExceeded(String message) {
                super(message);
            }
        }

        /** A generic failure, for the unexpected (the log has the details). */
        public static final class Failed extends DBusExecutionException {
            public Failed(String message) {
                super(message);
            }
        }
    }
}
