package org.qemu.helpers.compress.store;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The Linux file calls that let the kernel, not a name check, keep every open inside a root: openat2(2) with
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS (Linux 5.6), O_TMPFILE + linkat(2) (an output
 * has no name until it is complete), renameat2(2) RENAME_NOREPLACE (Linux 3.15). The JDK has none of them; JNA
 * (pinned in the parent pom, already used by slirp-dhcp's front ends) calls libc. Flag values differ between
 * x86-64 and arm64 for O_DIRECTORY and O_NOFOLLOW (asm-generic/fcntl.h vs arch/arm64), so both are given.
 *
 * Where openat2 is missing (Linux before 5.6, or a seccomp filter that does not know it and answers ENOSYS, as some
 * container and unit sandboxes do), the same confinement is done by a walk: each component opened with
 * openat(O_NOFOLLOW) relative to the previous one, ".." never sent. The kernel still refuses every symlink at the
 * moment of the open; only openat2's magic-link and mount refinements are lost (nothing under a root is a procfs).
 * The walk cannot use O_PATH for the last component (O_PATH | O_NOFOLLOW opens a link itself), so it opens it
 * O_RDONLY | O_NONBLOCK | O_NOFOLLOW instead: a link is ELOOP, a FIFO does not block, and read permission is needed.
 *
 * Descriptors stay ints here; a file's data is read or written through a FileChannel opened on
 * /proc/self/fd/N (proc(5): that magic link names the very inode openat2 resolved, so reopening it walks no path).
 */
final class LinuxFiles {
    /** syscall(2) is variadic: an interface mapping lets JNA pass the arguments as the ABI wants them. */
    private interface Libc extends Library {
        long syscall(long number, Object... args);
    }

    private static final Libc LIBC = Native.load(Platform.C_LIBRARY_NAME, Libc.class);

    static {
        Native.register(Platform.C_LIBRARY_NAME);
    }

    /** openat2 has one number on every architecture (the unified syscall table, Linux 5.6). */
    private static final long SYS_OPENAT2 = 437;
    private static final boolean ARM64 = Platform.isARM() && Platform.is64Bit();
    /** openat: x86-64's table and the generic one (arm64). */
    private static final long SYS_OPENAT = ARM64 ? 56 : 257;
    /** Cleared the first time openat2 answers ENOSYS: from then on every lookup is the openat walk. */
    private static volatile boolean openat2 = true;

    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_CREAT = 0x40;
    static final int O_EXCL = 0x80;
    static final int O_NOCTTY = 0x100;
    static final int O_NONBLOCK = 0x800;
    static final int O_DIRECTORY = ARM64 ? 0x4000 : 0x10000;
    static final int O_NOFOLLOW = ARM64 ? 0x8000 : 0x20000;
    static final int O_CLOEXEC = 0x80000;
    static final int O_PATH = 0x200000;
    /** __O_TMPFILE | O_DIRECTORY, as open(2) requires. */
    static final int O_TMPFILE = 0x400000 | O_DIRECTORY;

    private static final long RESOLVE_NO_MAGICLINKS = 0x02;
    private static final long RESOLVE_NO_SYMLINKS = 0x04;
    private static final long RESOLVE_BENEATH = 0x08;
    /** Every resolution the helper makes: inside the directory, no symlink of any kind on the way. */
    private static final long RESOLVE_CONFINED = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

    static final int AT_FDCWD = -100;
    static final int AT_SYMLINK_FOLLOW = 0x400;
    static final int RENAME_NOREPLACE = 1;

    static final int ENOENT = 2;
    static final int EAGAIN = 11;
    static final int EEXIST = 17;
    static final int EXDEV = 18;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int ENOSYS = 38;
    static final int ELOOP = 40;
    static final int EOPNOTSUPP = 95;

    private LinuxFiles() { }

    static native int renameat2(int oldDirFd, String oldName, int newDirFd, String newName, int flags);

    static native int linkat(int oldDirFd, String oldPath, int newDirFd, String newPath, int flags);

    static native int unlinkat(int dirFd, String name, int flags);

    static native int fsync(int fd);

    static native int close(int fd);

    /** A failed call: the errno and the call's description, for the refusal or the error message. */
    static final class Failure extends IOException {
        private final int errno;

        Failure(String what, int errno) {
            super(what + ": " + strerror(errno));
            this.errno = errno;
        }

        int errno() { return errno; }
    }

    /**
     * openat2(dirFd, path, {flags | O_CLOEXEC, mode, RESOLVE_CONFINED}): the path is resolved by the kernel
     * without leaving {@code dirFd}'s directory and without following any symlink; EAGAIN (a rename raced a
     * ".." lookup; we send none) is retried.
     */
    static int openBeneath(int dirFd, String path, int flags, int mode) throws Failure {
        int fd = openat2IfAvailable(dirFd, path, flags, mode, RESOLVE_CONFINED);
        return fd >= 0 ? fd : walkBeneath(dirFd, path, flags, mode);
    }

    /** openat2, or -1 when it answers ENOSYS (remembered: every later lookup goes straight to the fallback). */
    private static int openat2IfAvailable(int dirFd, String path, int flags, int mode, long resolve) throws Failure {
        if (!openat2) {
            return -1;
        }
        try {
            return openat2(dirFd, path, flags, mode, resolve);
        } catch (Failure f) {
            if (f.errno() != ENOSYS) {
                throw f;
            }
            openat2 = false;
            return -1;
        }
    }

    /** How lookups are confined on this system: "openat2", or "openat walk" once openat2 answered ENOSYS. */
    static String confinement() {
        return openat2 ? "openat2" : "openat walk";
    }

    /** Forces the walk, or lets openat2 be tried again (tests run both ways on a kernel that has openat2). */
    static void forceWalk(boolean walk) {
        openat2 = !walk;
    }

    /** Opens a directory given by the operator (a root itself, already resolved), O_PATH: only a starting point. */
    static int openDirectory(Path dir) throws Failure {
        int fd = openat2IfAvailable(AT_FDCWD, dir.toString(), O_PATH | O_DIRECTORY, 0, 0);
        return fd >= 0 ? fd : openat(AT_FDCWD, dir.toString(), O_PATH | O_DIRECTORY, 0);
    }

    /** The walk described above; ".." is refused (EXDEV) as RESOLVE_BENEATH would. */
    private static int walkBeneath(int dirFd, String path, int flags, int mode) throws Failure {
        String[] parts = path.split("/");
        int at = dirFd;
        try {
            for (int i = 0; i < parts.length - 1; i++) {
                if (parts[i].isEmpty() || parts[i].equals(".")) {
                    continue;
                }
                if (parts[i].equals("..")) {
                    throw new Failure("openat " + path, EXDEV);
                }
                // not O_DIRECTORY: with O_NOFOLLOW it turns a link into ENOTDIR; a file here fails the next openat
                int next = openat(at, parts[i], O_RDONLY | O_NONBLOCK | O_NOFOLLOW, 0);
                if (at != dirFd) {
                    close(at);
                }
                at = next;
            }
            String last = parts.length == 0 || parts[parts.length - 1].isEmpty() ? "." : parts[parts.length - 1];
            if (last.equals("..")) {
                throw new Failure("openat " + path, EXDEV);
            }
            int lastFlags = (flags & O_PATH) != 0 ? (flags & ~O_PATH) | O_NONBLOCK : flags;
            try {
                return openat(at, last, lastFlags | (last.equals(".") ? 0 : O_NOFOLLOW), mode);
            } catch (Failure f) {
                if (f.errno() != ENOTDIR || (flags & O_DIRECTORY) == 0) {
                    throw f;
                }
                // O_DIRECTORY | O_NOFOLLOW says ENOTDIR for a link too: ask again without O_DIRECTORY to tell which
                close(openat(at, last, O_RDONLY | O_NONBLOCK | O_NOFOLLOW, 0));
                throw f;
            }
        } finally {
            if (at != dirFd) {
                close(at);
            }
        }
    }

    private static int openat(int dirFd, String name, int flags, int mode) throws Failure {
        long fd = LIBC.syscall(SYS_OPENAT, dirFd, name, flags | O_CLOEXEC, mode);
        if (fd < 0) {
            throw new Failure("openat " + name, Native.getLastError());
        }
        return (int) fd;
    }

    private static int openat2(int dirFd, String path, int flags, int mode, long resolve) throws Failure {
        try (Memory how = new Memory(24)) {
            how.setLong(0, (flags | O_CLOEXEC) & 0xffffffffL);
            how.setLong(8, mode);
            how.setLong(16, resolve);
            for (int attempt = 0; ; attempt++) {
                long fd = LIBC.syscall(SYS_OPENAT2, dirFd, path, how, 24L);
                if (fd >= 0) {
                    return (int) fd;
                }
                int errno = Native.getLastError();
                if (errno != EAGAIN || attempt == 3) {
                    throw new Failure("openat2 " + path, errno);
                }
            }
        }
    }

    /** The kernel's name for an open descriptor, through which the JDK can stat and reopen it. */
    static Path proc(int fd) {
        return Path.of("/proc/self/fd/" + fd);
    }

    static void check(int rc, String what) throws Failure {
        if (rc != 0) {
            throw new Failure(what, Native.getLastError());
        }
    }

    static void closeQuietly(int fd) {
        if (fd >= 0) {
            close(fd);
        }
    }

    private static String strerror(int errno) {
        return switch (errno) {
            case ENOENT -> "no such file or directory";
            case EEXIST -> "it exists";
            case EXDEV -> "the path leads outside its root";
            case ENOTDIR -> "a component is not a directory";
            case EISDIR -> "it is a directory";
            case ENOSYS -> "the kernel lacks the call (openat2 needs Linux 5.6 or later)";
            case ELOOP -> "a symbolic link is in the path";
            case EOPNOTSUPP -> "the file system does not support it";
            default -> "errno " + errno;
        };
    }
}
