package org.qemu.helpers.compress.engine;

/**
 * A request the helper refuses before doing anything: bad arguments, an unsafe path, a full queue.
 * Each kind maps to one D-Bus error name; the message says what was wrong and what is allowed.
 */
public final class Refusal extends Exception {
    /** Why a request was refused; {@code errorName} is the D-Bus error the bus adapter replies with. */
    public enum Kind {
        INVALID_ARGS("org.freedesktop.DBus.Error.InvalidArgs"),
        BAD_PATH("org.qemu.Compress1.Error.BadPath"),
        OUTSIDE_ROOTS("org.qemu.Compress1.Error.OutsideRoots"),
        SYMLINK("org.qemu.Compress1.Error.Symlink"),
        NOT_FOUND("org.qemu.Compress1.Error.NotFound"),
        NOT_REGULAR_FILE("org.qemu.Compress1.Error.NotRegularFile"),
        EXISTS("org.qemu.Compress1.Error.Exists"),
        SAME_FILE("org.qemu.Compress1.Error.SameFile"),
        UNKNOWN_FORMAT("org.qemu.Compress1.Error.UnknownFormat"),
        QUEUE_FULL("org.qemu.Compress1.Error.QueueFull"),
        NO_MEMORY("org.qemu.Compress1.Error.NoMemory"),
        IO("org.qemu.Compress1.Error.IO");

        private final String errorName;

        Kind(String errorName) { this.errorName = errorName; }

        public String errorName() { return errorName; }
    }

    private final Kind kind;

    public Refusal(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() { return kind; }
}
