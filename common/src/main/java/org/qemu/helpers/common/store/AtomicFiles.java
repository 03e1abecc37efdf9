package org.qemu.helpers.common.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Durable replacement of a file: write a temporary file beside it, fsync it, rename it over
 * the target (atomic within a directory, POSIX rename(2)), then fsync the directory so the
 * rename itself survives a crash. A reader sees the old file or the new one, never half.
 */
public final class AtomicFiles {
    /** Temporary files carry this marker so a later start can clean what a crash left. */
    public static final String TEMP_MARK = ".qdh-tmp-";

    private AtomicFiles() {
    }

    /** Replaces {@code target} with {@code data} atomically and durably. */
    public static void write(Path target, byte[] data) throws IOException {
        write(target, data, null);
    }

    /**
     * As {@link #write(Path, byte[])}, the file created with {@code mode} before any byte is
     * written (for secrets: never readable by others, not even for an instant under a 022 umask).
     */
    public static void write(Path target, byte[] data, Set<PosixFilePermission> mode) throws IOException {
        write(target, data, mode, WriteOrder.NONE, 0);
    }

    /** As {@link #write(Path, byte[], Set)}, reporting the write and the force (after the directory's) as {@code seq}. */
    public static void write(Path target, byte[] data, Set<PosixFilePermission> mode, WriteOrder order, long seq)
            throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + target.getFileName() + TEMP_MARK + ProcessHandle.current().pid() + "-" + System.nanoTime());
        FileAttribute<?>[] attrs = mode == null ? new FileAttribute<?>[0]
                : new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(mode)};
        try {
            try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    attrs)) {
                ByteBuffer b = ByteBuffer.wrap(data);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                order.record(WriteOrder.Step.WRITE, seq);
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename atomically in " + dir + ": " + e.getMessage(), e);
            }
            fsyncDirectory(dir);
            order.record(WriteOrder.Step.FORCE, seq);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Flushes a directory's entries (after a create, rename or unlink in it). */
    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Deletes temporary files that {@link #write} left in {@code dir} when a process died; returns how many. */
    public static int cleanStaleTemps(Path dir) throws IOException {
        int n = 0;
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + TEMP_MARK + "*")) {
            for (Path p : ds) {
                if (Files.deleteIfExists(p)) {
                    n++;
                }
            }
        }
        return n;
    }
}
