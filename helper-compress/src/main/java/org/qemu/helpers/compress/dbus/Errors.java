package org.qemu.helpers.compress.dbus;

import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.qemu.Compress1.Error;
import org.qemu.helpers.common.bus.DBusErrors;
import org.qemu.helpers.compress.engine.Refusal;

/** Maps engine refusals to D-Bus errors, in one place. */
final class Errors {
    private Errors() { }

    static DBusExecutionException of(Refusal r) {
        String m = r.getMessage();
        return switch (r.kind()) {
            case INVALID_ARGS -> DBusErrors.invalidArgs(m);
            case BAD_PATH -> new Error.BadPath(m);
            case OUTSIDE_ROOTS -> new Error.OutsideRoots(m);
            case SYMLINK -> new Error.Symlink(m);
            case NOT_FOUND -> new Error.NotFound(m);
            case NOT_REGULAR_FILE -> new Error.NotRegularFile(m);
            case EXISTS -> new Error.Exists(m);
            case SAME_FILE -> new Error.SameFile(m);
            case UNKNOWN_FORMAT -> new Error.UnknownFormat(m);
            case QUEUE_FULL -> new Error.QueueFull(m);
            case NO_MEMORY -> new Error.NoMemory(m);
            case IO -> new Error.IO(m);
        };
    }
}
