package org.qemu.helpers.compress.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;
import org.qemu.helpers.compress.engine.JobSpec;
import org.qemu.helpers.compress.engine.Refusal;
import org.qemu.helpers.compress.engine.Refusal.Kind;
import org.qemu.helpers.compress.store.LinuxFiles.Failure;

/**
 * The only places the helper reads or writes, and the safe way in. A caller's path must be absolute, without
 * "." or ".." components, and inside a root. The kernel then resolves it from the root's directory descriptor
 * with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) (openat2(2)): it cannot leave the
 * root and refuses a symlink anywhere in the path, atomically with the open, so no directory swapped under a
 * running lookup can lead it elsewhere (the race a walk plus name checks can only narrow).
 */
public final class SafeRoots {
    /** Longest path accepted (PATH_MAX). */
    public static final int MAX_PATH = 4096;

    /**
     * A root as configured and as the kernel names it (symlinks in the root itself are the operator's), with
     * its directory held open (O_PATH) for the life of the helper: every lookup starts there.
     */
    record Root(Path given, Path real, int fd) { }

    /** A caller's path: its root, the kernel's name for it, and the part below the root. */
    record Located(Root root, Path real, String relative) {
        /** The directory part below the root ("." for a file directly in it). */
        String parentRelative() {
            int slash = relative.lastIndexOf('/');
            return slash < 0 ? "." : relative.substring(0, slash);
        }

        String name() {
            return real.getFileName().toString();
        }
    }

    private final List<Root> roots;
    private final boolean anonymousTemps;

    private SafeRoots(List<Root> roots, boolean anonymousTemps) {
        this.roots = roots;
        this.anonymousTemps = anonymousTemps;
    }

    /** Validates {@code dirs} (existing directories), resolves and opens them once, at start. */
    public static SafeRoots of(List<Path> dirs) throws IOException {
        return of(dirs, true);
    }

    /**
     * As {@link #of(List)}; {@code anonymousTemps} false makes outputs use named temporary files, the fallback
     * for file systems without O_TMPFILE, so tests can run that path on any file system.
     */
    static SafeRoots of(List<Path> dirs, boolean anonymousTemps) throws IOException {
        if (dirs.isEmpty()) {
            throw new IOException("at least one --root DIR is required");
        }
        if (!Files.isDirectory(Path.of("/proc/self/fd"))) {
            throw new IOException("/proc is not mounted; the helper reopens the files the kernel resolved through"
                    + " /proc/self/fd and refuses to serve without it");
        }
        List<Root> out = new ArrayList<>();
        for (Path d : dirs) {
            Path abs = d.toAbsolutePath().normalize();
            if (!Files.isDirectory(abs)) {
                throw new IOException("--root " + d + " is not an existing directory");
            }
            Path real = abs.toRealPath();
            int fd = LinuxFiles.openDirectory(real);
            try {
                LinuxFiles.closeQuietly(LinuxFiles.openBeneath(fd, ".", LinuxFiles.O_PATH, 0));
            } catch (Failure e) {
                LinuxFiles.closeQuietly(fd);
                throw new IOException("--root " + d + ": the kernel cannot confine lookups to it (" + e.getMessage()
                        + "); refusing to serve", e);
            }
            out.add(new Root(abs, real, fd));
        }
        return new SafeRoots(List.copyOf(out), anonymousTemps);
    }

    /** How the kernel confines lookups here: "openat2", or "openat walk" where openat2 is unavailable. */
    public static String confinement() {
        return LinuxFiles.confinement();
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
        return locate(what, path).real();
    }

    Located locate(String what, String path) throws Refusal {
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
        Path bestBase = null;
        for (Root r : roots) {
            for (Path base : List.of(r.real(), r.given())) {
                if (p.startsWith(base) && p.getNameCount() > base.getNameCount()
                        && (bestBase == null || base.getNameCount() > bestBase.getNameCount())) {
                    best = r;
                    bestBase = base;
                }
            }
        }
        if (best == null) {
            throw new Refusal(Kind.OUTSIDE_ROOTS, what + ": '" + JobSpec.printable(path)
                    + "' is not inside any --root (" + roots.stream().map(r -> r.real().toString()).toList() + ")");
        }
        Path relative = bestBase.relativize(p);
        return new Located(best, best.real().resolve(relative), relative.toString());
    }

    /**
     * openat2 from the root of {@code at}; {@code below} is the part of {@code at} looked up (the whole path or
     * its directory). Kernel refusals become the caller's refusal kinds.
     */
    static int open(String what, Located at, String below, int flags) throws Refusal {
        try {
            return LinuxFiles.openBeneath(at.root().fd(), below, flags, 0);
        } catch (Failure f) {
            Path shown = below.equals(".") ? at.root().real() : at.root().real().resolve(below);
            throw switch (f.errno()) {
                case LinuxFiles.ELOOP -> new Refusal(Kind.SYMLINK, what + ": " + shown + " is a symbolic link or"
                        + " has one in its path; symlinks are refused anywhere in the path");
                case LinuxFiles.EXDEV -> new Refusal(Kind.OUTSIDE_ROOTS, what + ": " + shown
                        + " leads outside its root");
                case LinuxFiles.ENOENT -> new Refusal(Kind.NOT_FOUND, what + ": " + shown + " does not exist");
                case LinuxFiles.ENOTDIR -> new Refusal(Kind.BAD_PATH, what + ": a directory of " + shown
                        + " is not a directory");
                default -> new Refusal(Kind.IO, what + ": cannot open " + shown + ": " + f.getMessage());
            };
        }
    }

    /** stat(2) of an open descriptor, following its /proc magic link to the inode itself. */
    static PosixFileAttributes stat(int fd) throws IOException {
        return Files.readAttributes(LinuxFiles.proc(fd), PosixFileAttributes.class);
    }

    /** Opens a source for reading: a regular file, no symlink anywhere, inside a root. */
    public SourceFile openSource(String path) throws Refusal {
        Located at = locate("source", path);
        int fd = open("source", at, at.relative(), LinuxFiles.O_PATH);
        try {
            PosixFileAttributes a = stat(fd);
            if (!a.isRegularFile()) {
                throw new Refusal(Kind.NOT_REGULAR_FILE, "source: " + at.real() + " is not a regular file");
            }
            FileChannel ch = FileChannel.open(LinuxFiles.proc(fd), StandardOpenOption.READ);
            return new SourceFile(at.real(), ch, a.fileKey(), a.size(), a.permissions());
        } catch (IOException e) {
            throw new Refusal(Kind.IO, "source: " + at.real() + ": " + e.getMessage());
        } finally {
            LinuxFiles.closeQuietly(fd);
        }
    }

    /**
     * Checks a destination and opens its directory. Refused: outside the roots, a symlink in the
     * path or as the destination, the source itself (same path or same inode), or an existing file
     * without {@code overwrite}.
     */
    public Destination openDestination(String path, boolean overwrite, SourceFile source) throws Refusal {
        Located at = locate("destination", path);
        if (at.real().equals(source.path())) {
            throw new Refusal(Kind.SAME_FILE, "destination: " + at.real() + " is the source itself");
        }
        int dirFd = open("destination", at, at.parentRelative(), LinuxFiles.O_PATH | LinuxFiles.O_DIRECTORY);
        try {
            Object dirKey = stat(dirFd).fileKey();
            Destination.checkTarget(dirFd, at, overwrite, source.fileKey());
            return new Destination(at, dirFd, dirKey, anonymousTemps);
        } catch (Refusal e) {
            LinuxFiles.closeQuietly(dirFd);
            throw e;
        } catch (IOException e) {
            LinuxFiles.closeQuietly(dirFd);
            throw new Refusal(Kind.IO, "destination: " + at.real() + ": " + e.getMessage());
        }
    }

    /**
     * Deletes {@code path} if it is one of our temporary files ({@link Destination#TEMP_NAME}) and a regular
     * file, looked up as every other path is; returns whether it did.
     */
    public boolean deleteTemp(String path) throws Refusal {
        Located at = locate("temporary file", path);
        if (!Destination.TEMP_NAME.matcher(at.name()).matches()) {
            return false;
        }
        int dirFd;
        try {
            dirFd = open("temporary file", at, at.parentRelative(), LinuxFiles.O_PATH | LinuxFiles.O_DIRECTORY);
        } catch (Refusal gone) {
            return false;
        }
        try {
            int fd = LinuxFiles.openBeneath(dirFd, at.name(), LinuxFiles.O_PATH, 0);
            boolean regular;
            try {
                regular = stat(fd).isRegularFile();
            } finally {
                LinuxFiles.closeQuietly(fd);
            }
            return regular && LinuxFiles.unlinkat(dirFd, at.name(), 0) == 0;
        } catch (IOException gone) {
            return false; // the file itself is gone, or is a symlink now: nothing of ours to clean
        } finally {
            LinuxFiles.closeQuietly(dirFd);
        }
    }
}
