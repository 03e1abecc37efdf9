package org.qemu.helpers.compress.store;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.OptionalInt;

/**
 * Checks an already opened file through /proc/self/fd/N (proc(5)): the kernel's own name for the
 * open file (readlink) and its stat (the magic link followed is fstat). This catches what a name
 * check cannot: a directory of the path renamed or swapped while the file was being opened.
 *
 * Java does not expose a channel's descriptor number, so it is read from the JDK's FileChannelImpl
 * through sun.misc.Unsafe (jdk.unsupported, no --add-opens needed). If a JDK makes that impossible,
 * {@link #available()} is false and only the NOFOLLOW walk of {@link SafeRoots} protects the open.
 */
public final class OpenFileCheck {
    private static final sun.misc.Unsafe UNSAFE;
    private static final long CHANNEL_FD;
    private static final long DESCRIPTOR_FD;

    static {
        sun.misc.Unsafe u = null;
        long ch = -1;
        long fd = -1;
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            u = (sun.misc.Unsafe) f.get(null);
            ch = objectFieldOffset(u, Class.forName("sun.nio.ch.FileChannelImpl").getDeclaredField("fd"));
            fd = objectFieldOffset(u, FileDescriptor.class.getDeclaredField("fd"));
        } catch (ReflectiveOperationException | RuntimeException e) {
            u = null;
        }
        UNSAFE = u;
        CHANNEL_FD = ch;
        DESCRIPTOR_FD = fd;
    }

    @SuppressWarnings("deprecation")
    private static long objectFieldOffset(sun.misc.Unsafe u, Field f) {
        return u.objectFieldOffset(f);
    }

    private OpenFileCheck() { }

    /** Whether descriptor numbers can be read on this JDK. */
    public static boolean available() {
        return UNSAFE != null && Files.isDirectory(Path.of("/proc/self/fd"));
    }

    /** The descriptor number behind {@code ch}, if it can be read. */
    static OptionalInt fdOf(FileChannel ch) {
        if (UNSAFE == null || !ch.getClass().getName().equals("sun.nio.ch.FileChannelImpl")) {
            return OptionalInt.empty();
        }
        Object d = UNSAFE.getObject(ch, CHANNEL_FD);
        if (!(d instanceof FileDescriptor)) {
            return OptionalInt.empty();
        }
        int n = UNSAFE.getInt(d, DESCRIPTOR_FD);
        return n >= 0 ? OptionalInt.of(n) : OptionalInt.empty();
    }

    /**
     * Confirms that {@code ch} is open on {@code expected} (the kernel's path for the descriptor equals
     * it, so no component was a symlink or was moved) and, if {@code fileKey} is given, on that inode.
     * Returns false on a mismatch; true when it matches or the check is unavailable.
     */
    static boolean matches(FileChannel ch, Path expected, Object fileKey, boolean regular) throws IOException {
        OptionalInt fd = fdOf(ch);
        if (fd.isEmpty()) {
            return true;
        }
        Path link = Path.of("/proc/self/fd/" + fd.getAsInt());
        Path actual = Files.readSymbolicLink(link);
        if (!actual.equals(expected)) {
            return false;
        }
        BasicFileAttributes a = Files.readAttributes(link, BasicFileAttributes.class);
        if (regular && !a.isRegularFile()) {
            return false;
        }
        return fileKey == null || fileKey.equals(a.fileKey());
    }
}
