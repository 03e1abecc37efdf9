package org.qemu.helpers.compress.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.qemu.helpers.compress.engine.Refusal;
import org.qemu.helpers.compress.engine.Refusal.Kind;
import org.qemu.helpers.compress.store.LinuxFiles.Failure;
import org.qemu.helpers.compress.store.SafeRoots.Located;

/**
 * A checked destination: its directory, resolved by the kernel beneath its root at submit time and held open.
 * The output is an O_TMPFILE inode in that directory (open(2)): nameless while it is written, so a crash or a
 * failure leaves nothing behind; at the end it is fsynced and linked in with linkat(2), which fails rather than
 * replace a file that appeared meanwhile. Before linking, the directory is resolved again from the root, and
 * must be the same directory: one moved or swapped during the job is not written to.
 */
public final class Destination implements AutoCloseable {
    /** Names of our named temporary files: a crash leaves only these, and only these are cleaned. */
    public static final Pattern TEMP_NAME = Pattern.compile("\\.helper-compress-[0-9a-f]{16}\\.tmp");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Located at;
    private final int dirFd;
    private final Object dirKey;
    private final boolean anonymousTemps;
    private final AtomicBoolean closed = new AtomicBoolean();

    Destination(Located at, int dirFd, Object dirKey, boolean anonymousTemps) {
        this.at = at;
        this.dirFd = dirFd;
        this.dirKey = dirKey;
        this.anonymousTemps = anonymousTemps;
    }

    public Path path() { return at.real(); }

    /**
     * The output being written: its descriptor (kept for linkat), a channel on it, and its name in the
     * directory, or null while it is an anonymous O_TMPFILE inode.
     */
    public static final class TempFile {
        private final int fd;
        private final FileChannel channel;
        private final String name;
        private final AtomicBoolean fdClosed = new AtomicBoolean();

        TempFile(int fd, FileChannel channel, String name) {
            this.fd = fd;
            this.channel = channel;
            this.name = name;
        }

        int fd() { return fd; }

        public FileChannel channel() { return channel; }

        String name() { return name; }

        /** Closes the descriptor once: a number closed twice could be another file's by then. */
        void closeFd() {
            if (fdClosed.compareAndSet(false, true)) {
                LinuxFiles.closeQuietly(fd);
            }
        }
    }

    /** Refuses a destination that is a symlink, not a regular file, the source's inode, or exists without overwrite. */
    static void checkTarget(int dirFd, Located at, boolean overwrite, Object sourceKey) throws Refusal, IOException {
        int fd;
        try {
            fd = LinuxFiles.openBeneath(dirFd, at.name(), LinuxFiles.O_PATH, 0);
        } catch (Failure f) {
            if (f.errno() == LinuxFiles.ENOENT) {
                return;
            }
            if (f.errno() == LinuxFiles.ELOOP) {
                throw new Refusal(Kind.SYMLINK, "destination: " + at.real() + " is a symbolic link; symlinks are"
                        + " never written through or replaced");
            }
            throw f;
        }
        PosixFileAttributes a;
        try {
            a = SafeRoots.stat(fd);
        } finally {
            LinuxFiles.closeQuietly(fd);
        }
        if (!a.isRegularFile()) {
            throw new Refusal(Kind.NOT_REGULAR_FILE, "destination: " + at.real() + " exists and is not a regular file");
        }
        if (sourceKey != null && sourceKey.equals(a.fileKey())) {
            throw new Refusal(Kind.SAME_FILE, "destination: " + at.real() + " is the source itself (a hard link to it)");
        }
        if (!overwrite) {
            throw new Refusal(Kind.EXISTS, "destination: " + at.real() + " exists; pass overwrite=true to replace it");
        }
    }

    private static String newTempName() {
        byte[] r = new byte[8];
        RANDOM.nextBytes(r);
        return ".helper-compress-" + HexFormat.of().formatHex(r) + ".tmp";
    }

    private Path pathOf(String name) {
        return at.real().resolveSibling(name);
    }

    /**
     * Creates the output with the source's read/write permission bits (the umask still applies): an O_TMPFILE
     * inode, or, on a file system without O_TMPFILE, a named file created exclusively and recorded in the
     * journal first so that a crash's leftover is found again.
     */
    public TempFile createTemp(Set<PosixFilePermission> sourcePermissions, TempJournal journal) throws IOException {
        int mode = 0600;
        for (PosixFilePermission p : sourcePermissions) {
            mode |= switch (p) {
                case GROUP_READ -> 040;
                case GROUP_WRITE -> 020;
                case OTHERS_READ -> 04;
                case OTHERS_WRITE -> 02;
                default -> 0;
            };
        }
        String name = null;
        int fd = -1;
        if (anonymousTemps) {
            try {
                fd = LinuxFiles.openBeneath(dirFd, ".", LinuxFiles.O_TMPFILE | LinuxFiles.O_WRONLY, mode);
            } catch (Failure f) {
                if (f.errno() != LinuxFiles.EOPNOTSUPP && f.errno() != LinuxFiles.EISDIR) {
                    throw f;
                }
                // EOPNOTSUPP: this file system has no O_TMPFILE; EISDIR: a kernel older than 3.11
            }
        }
        if (fd < 0) {
            name = newTempName();
            journal.record(pathOf(name));
            fd = LinuxFiles.openBeneath(dirFd, name, LinuxFiles.O_CREAT | LinuxFiles.O_EXCL | LinuxFiles.O_WRONLY, mode);
        }
        try {
            return new TempFile(fd, FileChannel.open(LinuxFiles.proc(fd), StandardOpenOption.WRITE), name);
        } catch (IOException | RuntimeException e) {
            abandon(new TempFile(fd, null, name), journal);
            throw e;
        }
    }

    /**
     * Makes the output durable and visible: fsync it, resolve the directory again (it must be the one of submit
     * time), link it in under the destination's name (without {@code overwrite}, linkat or renameat2
     * RENAME_NOREPLACE fail if the name appeared meanwhile, and the job fails keeping that file), fsync the directory.
     */
    public void commit(TempFile t, boolean overwrite, Object sourceKey, TempJournal journal) throws IOException {
        t.channel().force(true);
        t.channel().close();
        int dir;
        try {
            dir = SafeRoots.open("destination", at, at.parentRelative(), LinuxFiles.O_PATH | LinuxFiles.O_DIRECTORY);
        } catch (Refusal r) {
            throw new IOException("the destination directory of " + at.real() + " is gone or changed during the job: "
                    + r.getMessage());
        }
        try {
            if (!dirKey.equals(SafeRoots.stat(dir).fileKey())) {
                throw new IOException("the destination directory " + at.real().getParent()
                        + " was moved or replaced during the job; the output was not written there");
            }
            try {
                checkTarget(dir, at, overwrite, sourceKey);
            } catch (Refusal r) {
                throw new FileAlreadyExistsException(r.getMessage());
            }
            if (t.name() == null) {
                linkAnonymous(t, dir, overwrite, journal);
            } else {
                rename(dir, t.name(), overwrite);
                journal.forget(pathOf(t.name()));
            }
            int sync = LinuxFiles.openBeneath(dir, ".", LinuxFiles.O_RDONLY | LinuxFiles.O_DIRECTORY, 0);
            try {
                LinuxFiles.check(LinuxFiles.fsync(sync), "fsync " + at.real().getParent());
            } finally {
                LinuxFiles.closeQuietly(sync);
            }
        } finally {
            LinuxFiles.closeQuietly(dir);
            t.closeFd();
        }
    }

    /**
     * Gives the anonymous output its name. Without overwrite, linkat straight to the name: atomic, and EEXIST
     * if it appeared. With overwrite, linkat to a journaled temporary name, then rename over the old file, so a
     * reader sees the old or the new file, never none.
     */
    private void linkAnonymous(TempFile t, int dir, boolean overwrite, TempJournal journal) throws IOException {
        String self = LinuxFiles.proc(t.fd()).toString();
        if (!overwrite) {
            if (LinuxFiles.linkat(LinuxFiles.AT_FDCWD, self, dir, at.name(), LinuxFiles.AT_SYMLINK_FOLLOW) != 0) {
                throw existsOr(new Failure("linkat " + at.real(), com.sun.jna.Native.getLastError()));
            }
            return;
        }
        String name = newTempName();
        journal.record(pathOf(name));
        try {
            LinuxFiles.check(LinuxFiles.linkat(LinuxFiles.AT_FDCWD, self, dir, name, LinuxFiles.AT_SYMLINK_FOLLOW),
                    "linkat " + pathOf(name));
            try {
                rename(dir, name, true);
            } catch (IOException e) {
                LinuxFiles.unlinkat(dir, name, 0);
                throw e;
            }
        } finally {
            journal.forget(pathOf(name));
        }
    }

    private void rename(int dir, String name, boolean overwrite) throws IOException {
        if (LinuxFiles.renameat2(dir, name, dir, at.name(), overwrite ? 0 : LinuxFiles.RENAME_NOREPLACE) != 0) {
            throw existsOr(new Failure("renameat2 " + pathOf(name) + " to " + at.real(),
                    com.sun.jna.Native.getLastError()));
        }
    }

    private IOException existsOr(Failure f) {
        return f.errno() == LinuxFiles.EEXIST
                ? new FileAlreadyExistsException("destination: " + at.real() + " appeared during the job; it is kept")
                : f;
    }

    /** Drops an output that will not be committed: nothing stays behind, named or not. */
    public void abandon(TempFile t, TempJournal journal) {
        if (t.channel() != null) {
            try {
                t.channel().close();
            } catch (IOException ignored) {
                // discarded next
            }
        }
        t.closeFd();
        if (t.name() != null) {
            LinuxFiles.unlinkat(dirFd, t.name(), 0);
            journal.forget(pathOf(t.name()));
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            LinuxFiles.closeQuietly(dirFd);
        }
    }
}
