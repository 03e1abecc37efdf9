package org.qemu.helpers.compress.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * A source opened safely at submit time and held open until its job ends, so the file checked is
 * the file read even if the name is changed afterwards.
 */
public record SourceFile(Path path, FileChannel channel, Object fileKey, long size,
                         Set<PosixFilePermission> permissions) implements AutoCloseable {
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only: nothing to lose
        }
    }
}
