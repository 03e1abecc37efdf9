package org.qemu.helpers.compress.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.qemu.helpers.compress.engine.JobSpec;
import org.qemu.helpers.compress.engine.Refusal;
import org.qemu.helpers.compress.engine.Refusal.Kind;

/**
 * The only places the helper reads or writes, and the safe way in. A caller's path must be
 * absolute, without "." or ".." components, and inside a root. It is then opened one component at
 * a time from the root's directory descriptor with openat(O_NOFOLLOW) (Java's SecureDirectoryStream),
 * so a symlink anywhere below the root is refused by the kernel at open time, not by a racy name
 * check; the opened file is then re-checked through /proc/self/fd ({@link OpenFileCheck}).
 */
public final class SafeRoots {
    /** Longest path accepted (PATH_MAX). */
    public static final int MAX_PATH = 4096;

    /** A root as configured and as the kernel names it (symlinks in the root itself are the operator's). */
    record Root(Path given, Path real) { }

    private final List<Root> roots;

    private SafeRoots(List<Root> roots) { this.roots = roots; }

    /** Validates {@code dirs} (existing directories) and resolves them once, at start. */
    public static SafeRoots of(List<Path> dirs) throws IOException {
        if (dirs.isEmpty()) {
            throw new IOException("at least one --root DIR is required");
        }
        List<Root> out = new ArrayList<>();
        for (Path d : dirs) {
            Path abs = d.toAbsolutePath().normalize();
            if (!Files.isDirectory(abs)) {
                throw new IOException("--root " + d + " is not an existing directory");
            }
            Path real = abs.toRealPath();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(real)) {
                if (!(ds instanceof SecureDirectoryStream)) {
                    throw new IOException("this platform has no openat-based SecureDirectoryStream; refusing to serve");
                }
            }
            out.add(new Root(abs, real));
        }
        return new SafeRoots(List.copyOf(out));
    }

    /** The resolved roots. */
    public List<Path> realRoots() {
        return roots.stream().map(Root::real).toList();
    }

    /**
     * The caller's path as the kernel will name it (under the resolved root), checked for syntax and
     * containment. {@code what} is "source" or "destination", for the message.
     */
    public Path check(String what, String path) throws Refusal {
        if (path == null || path.isEmpty()) {
            throw new Refusal(Kind.BAD_PATH, what + ": the path is empty");
        }
        if (path.length() > MAX_PATH) {
            throw new Refusal(Kind.BAD_PATH, what + ": the path is longer than " + MAX_PATH + " characters");
        }
        if (!path.startsWith("/")) {
            throw new Refusal(Kind.BAD_PATH, what + ": '" + JobSpec.printable(path) + "' is not absolute");
        }
        for (String c : path.split("/")) {
            if (c.equals("..") || c.equals(".")) {
                throw new Refusal(Kind.BAD_PATH, what + ": '" + JobSpec.printable(path)
                        + "' has a '" + c + "' component; give the plain path inside a root");
            }
        }
        Path p;
        try {
            p = Path.of(path);
        } catch (InvalidPathException e) {
            throw new Refusal(Kind.BAD_PATH, what + ": '" + JobSpec.printable(path) + "' is not a valid path");
        }
        Root best = null;
        for (Root r : roots) {
            for (Path base : List.of(r.real(), r.given())) {
                if (p.startsWith(base) && p.getNameCount() > base.getNameCount()
                        && (best == null || base.getNameCount() > best.given().getNameCount())) {
                    best = new Root(base, r.real());
                }
            }
        }
        if (best == null) {
            throw new Refusal(Kind.OUTSIDE_ROOTS, what + ": '" + JobSpec.printable(path)
                    + "' is not inside any --root (" + roots.stream().map(r -> r.real().toString()).toList() + ")");
        }
        return best.real().resolve(best.given().relativize(p));
    }

    private Root rootOf(Path real) {
        Root best = null;
        for (Root r : roots) {
            if (real.startsWith(r.real()) && (best == null || r.real().getNameCount() > best.real().getNameCount())) {
                best = r;
            }
        }
        return best;
    }

    /**
     * Opens the parent directory of {@code real} by walking from its root with O_NOFOLLOW on every
     * component; the caller closes the stream.
     */
    @SuppressWarnings("unchecked")
    SecureDirectoryStream<Path> openParent(String what, Path real) throws Refusal {
        Root root = rootOf(real);
        Path rel = root.real().relativize(real.getParent());
        SecureDirectoryStream<Path> dir;
        try {
            dir = (SecureDirectoryStream<Path>) Files.newDirectoryStream(root.real());
        } catch (IOException e) {
            throw new Refusal(Kind.IO, what + ": cannot open root " + root.real() + ": " + e.getMessage());
        }
        Path walked = root.real();
        for (Path c : rel) {
            if (c.toString().isEmpty()) {
                continue;
            }
            walked = walked.resolve(c);
            SecureDirectoryStream<Path> next;
            try {
                PosixFileAttributes a = lstat(dir, c);
                if (a.isSymbolicLink()) {
                    throw new Refusal(Kind.SYMLINK, what + ": " + walked + " is a symbolic link; symlinks are refused"
                            + " anywhere in the path");
                }
                if (!a.isDirectory()) {
                    throw new Refusal(Kind.BAD_PATH, what + ": " + walked + " is not a directory");
                }
                next = dir.newDirectoryStream(c, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                close(dir);
                throw new Refusal(Kind.NOT_FOUND, what + ": directory " + walked + " does not exist");
            } catch (Refusal e) {
                close(dir);
                throw e;
            } catch (FileSystemException e) {
                close(dir);
                // ELOOP from O_NOFOLLOW: the component became a symlink after the lstat above.
                throw new Refusal(e.getReason() != null && e.getReason().contains("symbolic links")
                        ? Kind.SYMLINK : Kind.IO, what + ": cannot open directory " + walked + ": " + e.getReason());
            } catch (IOException e) {
                close(dir);
                throw new Refusal(Kind.IO, what + ": cannot open directory " + walked + ": " + e.getMessage());
            }
            close(dir);
            dir = next;
        }
        return dir;
    }

    static PosixFileAttributes lstat(SecureDirectoryStream<Path> dir, Path name) throws IOException {
        return dir.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .readAttributes();
    }

    static void close(DirectoryStream<Path> d) {
        try {
            d.close();
        } catch (IOException ignored) {
            // a directory descriptor: nothing to flush
        }
    }

    /** Opens a source for reading: a regular file, no symlink anywhere, inside a root. */
    public SourceFile openSource(String path) throws Refusal {
        Path real = check("source", path);
        Path name = real.getFileName();
        try (SecureDirectoryStream<Path> dir = openParent("source", real)) {
            PosixFileAttributes a;
            try {
                a = lstat(dir, name);
            } catch (NoSuchFileException e) {
                throw new Refusal(Kind.NOT_FOUND, "source: " + real + " does not exist");
            }
            if (a.isSymbolicLink()) {
                throw new Refusal(Kind.SYMLINK, "source: " + real + " is a symbolic link; give the file itself");
            }
            if (!a.isRegularFile()) {
                throw new Refusal(Kind.NOT_REGULAR_FILE, "source: " + real + " is not a regular file");
            }
            SeekableByteChannel ch;
            try {
                ch = dir.newByteChannel(name, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
            } catch (FileSystemException e) {
                throw new Refusal(e.getReason() != null && e.getReason().contains("symbolic links") ? Kind.SYMLINK
                        : Kind.IO, "source: cannot open " + real + ": " + e.getReason());
            }
            FileChannel fc = (FileChannel) ch;
            try {
                if (!OpenFileCheck.matches(fc, real, a.fileKey(), true)) {
                    throw new Refusal(Kind.SYMLINK, "source: " + real + " changed while it was opened"
                            + " (a directory was moved or replaced); refused");
                }
                return new SourceFile(real, fc, a.fileKey(), fc.size(), a.permissions());
            } catch (Refusal | IOException | RuntimeException e) {
                fc.close();
                throw e;
            }
        } catch (IOException e) {
            throw new Refusal(Kind.IO, "source: " + real + ": " + e.getMessage());
        }
    }

    /**
     * Checks a destination and opens its directory. Refused: outside the roots, a symlink in the
     * path or as the destination, the source itself (same path or same inode), or an existing file
     * without {@code overwrite}.
     */
    public Destination openDestination(String path, boolean overwrite, SourceFile source) throws Refusal {
        Path real = check("destination", path);
        if (real.equals(source.path())) {
            throw new Refusal(Kind.SAME_FILE, "destination: " + real + " is the source itself");
        }
        Path name = real.getFileName();
        SecureDirectoryStream<Path> dir = openParent("destination", real);
        try {
            Destination.checkTarget(dir, real, overwrite, source.fileKey());
            return new Destination(real, dir);
        } catch (Refusal e) {
            close(dir);
            throw e;
        } catch (IOException e) {
            close(dir);
            throw new Refusal(Kind.IO, "destination: " + real + ": " + e.getMessage());
        } finally {
            assert name != null;
        }
    }
}
