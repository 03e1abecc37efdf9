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

    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_CREAT = 0x40;
    static final int O_EXCL = 0x80;
    static final int O_NOCTTY = 0x100;
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
        return openat2(dirFd, path, flags, mode, RESOLVE_CONFINED);
    }

    /** Opens a directory given by the operator (a root itself, already resolved), O_PATH: only a starting point. */
    static int openDirectory(Path dir) throws Failure {
        return openat2(AT_FDCWD, dir.toString(), O_PATH | O_DIRECTORY, 0, 0);
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
