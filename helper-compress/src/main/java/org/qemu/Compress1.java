package org.qemu;

import org.freedesktop.dbus.exceptions.DBusExecutionException;

/**
 * Holder for the domain errors of {@code org.qemu.Compress1}: dbus-java names an error reply after
 * the exception's binary class name ($ becomes .), so {@code org.qemu.Compress1$Error$Exists}
 * replies {@code org.qemu.Compress1.Error.Exists}.
 */
public final class Compress1 {
    private Compress1() { }

    /** Errors of the Compress1 interface; each refusal writes nothing. */
    public static final class Error {
        private Error() { }

        /** A path is empty, relative, has "." or ".." components, or a non-directory where a directory must be. */
        public static final class BadPath extends DBusExecutionException {
            public BadPath(String m) { super(m); }
        }

        /** A path is not inside any --root. */
        public static final class OutsideRoots extends DBusExecutionException {
            public OutsideRoots(String m) { super(m); }
        }

        /** A symbolic link is in the path, or is the source or destination. */
        public static final class Symlink extends DBusExecutionException {
            public Symlink(String m) { super(m); }
        }

        /** The source or the destination's directory does not exist. */
        public static final class NotFound extends DBusExecutionException {
            public NotFound(String m) { super(m); }
        }

        /** The source, or an existing destination, is not a regular file. */
        public static final class NotRegularFile extends DBusExecutionException {
            public NotRegularFile(String m) { super(m); }
        }

        /** The destination exists and overwrite is not true. */
        public static final class Exists extends DBusExecutionException {
            public Exists(String m) { super(m); }
        }

        /** Source and destination are the same file. */
        public static final class SameFile extends DBusExecutionException {
            public SameFile(String m) { super(m); }
        }

        /** The format cannot be recognised. */
        public static final class UnknownFormat extends DBusExecutionException {
            public UnknownFormat(String m) { super(m); }
        }

        /** Too many jobs are waiting, or the job needs more memory than the helper has. */
        public static final class QueueFull extends DBusExecutionException {
            public QueueFull(String m) { super(m); }
        }

        /** The job would need more memory than the helper has. */
        public static final class NoMemory extends DBusExecutionException {
            public NoMemory(String m) { super(m); }
        }

        /** The file system refused an operation. */
        public static final class IO extends DBusExecutionException {
            public IO(String m) { super(m); }
        }
    }
}
