package org.qemu.helpers.common.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small tmpfs mounted for one test, to run a store out of space for real (ENOSPC from the
 * kernel) and give the space back: {@link #fill()} takes every free byte, {@link #free()} returns them.
 */
public final class SmallTmpfs implements AutoCloseable {
    private final Path dir;
    private final Path filler;

    private SmallTmpfs(Path dir) {
        this.dir = dir;
        this.filler = dir.resolve("filler");
    }

    /** Mounts a tmpfs of {@code kib} KiB on a new directory (needs root, as the suite runs in CI). */
    public static SmallTmpfs mount(int kib) throws IOException, InterruptedException {
        Tools.require("mount", "mount");
        Path d = Files.createTempDirectory("qdh-tmpfs");
        ProcResult r = Commands.run("mount", "-t", "tmpfs", "-o", "size=" + kib + "k,mode=0755", "tmpfs", d.toString());
        if (!r.ok()) {
            throw new IllegalStateException("cannot mount a tmpfs on " + d + " (the test needs root): " + r);
        }
        return new SmallTmpfs(d);
    }

    public Path dir() {
        return dir;
    }

    /** Writes a file until the file system is full; returns the bytes it took. */
    public long fill() throws IOException {
        long n = 0;
        byte[] block = new byte[4096];
        try (OutputStream o = Files.newOutputStream(filler, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND)) {
            while (true) {
                o.write(block);
                n += block.length;
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
        // the last partial block may be buffered: write byte by byte until the kernel refuses
        try (OutputStream o = Files.newOutputStream(filler, java.nio.file.StandardOpenOption.APPEND)) {
            while (true) {
                o.write(0);
                o.flush();
                n++;
            }
        } catch (IOException e) {
            return n;
        }
    }

    /** Gives the space back. */
    public void free() throws IOException {
        Files.deleteIfExists(filler);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        Commands.run("umount", "-l", dir.toString());
        Files.deleteIfExists(dir);
    }
}
