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

    /** {@code value} when it has at most {@code max} characters, else InvalidArgs naming {@code what}. */
    public static String bounded(String value, int max, String what) {
        if (value.length() > max) {
            throw invalidArgs(what + " is longer than " + max + " characters (" + value.length() + ")");
        }
        return value;
    }

    /** org.freedesktop.DBus.Error.AccessDenied. */
    public static DBus.Error.AccessDenied accessDenied(String message) {
        return new DBus.Error.AccessDenied(message);
    }
}
