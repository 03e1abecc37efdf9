package org.qemu.helpers.compress.engine;

import java.io.IOException;
import java.io.OutputStream;

/**
 * One compressed format. Codecs read from a counting, cancellable input and write to an output they
 * must not close (the caller fsyncs and renames it). They stop with {@link Cancelled} once cancelled.
 */
public interface Codec {
    /** Size of the chunks codecs read and write: large enough to amortise JNI and syscalls. */
    int CHUNK = 1 << 20;

    void compress(CountingInputStream in, OutputStream out, int level, int workers, Progress progress)
            throws IOException;

    /** Decompresses every concatenated stream/frame/member in {@code in}; trailing garbage is an error. */
    void decompress(CountingInputStream in, OutputStream out, Progress progress) throws IOException;

    /** The codec for {@code format}. */
    static Codec of(Format format) {
        return switch (format) {
            case ZSTD -> new ZstdCodec();
            case GZIP -> new GzipCodec();
            case XZ -> new XzCodec();
            case LZ4 -> new Lz4Codec();
        };
    }
}
