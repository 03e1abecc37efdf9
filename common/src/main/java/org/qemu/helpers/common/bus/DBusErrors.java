package org.qemu.helpers.common.bus;

import org.freedesktop.DBus;

/** Shorthands for the standard errors helpers reply with. */
public final class DBusErrors {
    private DBusErrors() {
    }

    /** org.freedesktop.DBus.Error.InvalidArgs with a message saying what was wrong. */
    public static DBus.Error.InvalidArgs invalidArgs(String message) {
        return new DBus.Error.InvalidArgs(message);
    }

    /** org.freedesktop.DBus.Error.AccessDenied. */
    public static DBus.Error.AccessDenied accessDenied(String message) {
        return new DBus.Error.AccessDenied(message);
    }
}
