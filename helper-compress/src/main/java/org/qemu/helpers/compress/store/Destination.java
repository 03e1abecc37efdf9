package org.qemu.helpers.compress.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.regex.Pattern;
import org.qemu.helpers.compress.engine.Refusal;
import org.qemu.helpers.compress.engine.Refusal.Kind;

/**
 * A checked destination: its directory, opened without following symlinks at submit time and held
 * open, so the temporary file, the rename and the cleanup all happen in that very directory
 * (openat/renameat/unlinkat on its descriptor) whatever happens to the names above it.
 */
public final class Destination implements AutoCloseable {
    /** Names of our temporary files: a crash leaves only these, and only these are cleaned. */
    public static final Pattern TEMP_NAME = Pattern.compile("\\.helper-compress-[0-9a-f]{16}\\.tmp");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path path;
    private final SecureDirectoryStream<Path> dir;

    Destination(Path path, SecureDirectoryStream<Path> dir) {
        this.path = path;
        this.dir = dir;
    }

    public Path path() { return path; }

    /** The temporary file a job writes, in the destination's directory. */
    public record TempFile(Path path, FileChannel channel) { }

    /** Refuses a destination that is a symlink, not a regular file, the source's inode, or exists without overwrite. */
    static void checkTarget(SecureDirectoryStream<Path> dir, Path real, boolean overwrite, Object sourceKey)
            throws Refusal, IOException {
        PosixFileAttributes a;
        try {
            a = SafeRoots.lstat(dir, real.getFileName());
        } catch (NoSuchFileException e) {
            return;
        }
        if (a.isSymbolicLink()) {
            throw new Refusal(Kind.SYMLINK, "destination: " + real + " is a symbolic link; symlinks are never"
                    + " written through or replaced");
        }
        if (!a.isRegularFile()) {
            throw new Refusal(Kind.NOT_REGULAR_FILE, "destination: " + real + " exists and is not a regular file");
        }
        if (sourceKey != null && sourceKey.equals(a.fileKey())) {
            throw new Refusal(Kind.SAME_FILE, "destination: " + real + " is the source itself (a hard link to it)");
        }
        if (!overwrite) {
            throw new Refusal(Kind.EXISTS, "destination: " + real + " exists; pass overwrite=true to replace it");
        }
    }

    /** A fresh random temporary name, without creating anything. */
    public Path newTempPath() {
        byte[] r = new byte[8];
        RANDOM.nextBytes(r);
        return path.resolveSibling(".helper-compress-" + HexFormat.of().formatHex(r) + ".tmp");
    }

    /**
     * Creates {@code temp} (from {@link #newTempPath}) exclusively, not following a symlink, with the
     * source's read/write permission bits (the umask still applies).
     */
    public TempFile createTemp(Path temp, Set<PosixFilePermission> sourcePermissions) throws IOException {
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        for (PosixFilePermission p : sourcePermissions) {
            if (!p.name().endsWith("EXECUTE")) {
                perms.add(p);
            }
        }
        perms.add(PosixFilePermission.OWNER_READ);
        perms.add(PosixFilePermission.OWNER_WRITE);
        FileChannel ch = (FileChannel) dir.newByteChannel(temp.getFileName(),
                Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW, LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(perms));
        try {
            if (!OpenFileCheck.matches(ch, temp, null, true)) {
                throw new IOException("the destination directory " + path.getParent()
                        + " was moved or replaced during the job");
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            delete(temp);
            throw e;
        }
        return new TempFile(temp, ch);
    }

    /**
     * Makes the output durable and visible: fsync the temporary file, rename it to the destination
     * (renameat in the same directory: atomic, POSIX rename(2)), fsync the directory. Without
     * {@code overwrite}, a destination that appeared meanwhile is kept and the job fails.
     */
    public void commit(TempFile t, boolean overwrite, Object sourceKey) throws IOException {
        t.channel().force(true);
        t.channel().close();
        try {
            checkTarget(dir, path, overwrite, sourceKey);
        } catch (Refusal r) {
            throw new FileAlreadyExistsException(r.getMessage());
        }
        dir.move(t.path().getFileName(), dir, path.getFileName());
        try (FileChannel d = (FileChannel) dir.newByteChannel(Path.of("."), Set.of(StandardOpenOption.READ))) {
            d.force(true);
        }
    }

    /** Removes a temporary file (unlinkat in the destination directory); a missing one is fine. */
    public void delete(Path temp) {
        try {
            dir.deleteFile(temp.getFileName());
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() {
        SafeRoots.close(dir);
    }
}
