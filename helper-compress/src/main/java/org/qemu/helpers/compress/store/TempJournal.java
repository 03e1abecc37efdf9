package org.qemu.helpers.compress.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.qemu.helpers.compress.engine.Refusal;

/**
 * Remembers, in the state directory, every temporary file the helper is writing, so the next start
 * can delete those a crash (kill -9, power loss) left behind: only files the helper created, found
 * again through the same safe walk, never a scan of the roots.
 */
public final class TempJournal {
    private final Path dir;

    public TempJournal(Path stateDir) throws IOException {
        this.dir = stateDir.resolve("temp-journal");
        Files.createDirectories(dir);
    }

    /** One entry per temporary file, named by a digest of its path. */
    private Path entry(Path temp) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(temp.toString().getBytes(StandardCharsets.UTF_8));
            return dir.resolve("t-" + java.util.HexFormat.of().formatHex(d, 0, 12));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Records {@code temp} before it is created: one small file, written and fsynced once (no
     * rename: a torn entry names no temporary file and is dropped at the next start). One fsync,
     * not the two of a temp-and-rename write, because it is paid by every job, and a 1-byte job is mostly fsyncs.
     */
    public void record(Path temp) throws IOException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(entry(temp),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
                java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(temp.toString().getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    /** Forgets {@code temp} once it has been renamed or deleted. */
    public void forget(Path temp) {
        try {
            Files.deleteIfExists(entry(temp));
        } catch (IOException ignored) {
            // a stale entry only makes the next start look for a file that is gone
        }
    }

    /**
     * Deletes the temporary files recorded by an earlier run that are still there; returns their
     * paths. Entries that name no temporary file inside a root are dropped without touching anything.
     */
    public java.util.List<Path> cleanStale(SafeRoots roots) throws IOException {
        java.util.List<Path> removed = new java.util.ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path e : ds) {
                if (!e.getFileName().toString().startsWith("t-") || Files.size(e) > SafeRoots.MAX_PATH * 4) {
                    Files.deleteIfExists(e);
                    continue;
                }
                String s = new String(Files.readAllBytes(e), StandardCharsets.UTF_8);
                try {
                    if (roots.deleteTemp(s)) {
                        removed.add(roots.check("temporary file", s));
                    }
                } catch (Refusal r) {
                    // names no temporary file inside a root: the entry is dropped, nothing touched
                }
                Files.deleteIfExists(e);
            }
        }
        return removed;
    }
}
