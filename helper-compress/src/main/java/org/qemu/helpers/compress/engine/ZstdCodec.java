package org.qemu.helpers.compress.engine;

import com.github.luben.zstd.ZstdException;
import com.github.luben.zstd.ZstdIOException;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.IOException;
import java.io.OutputStream;

/**
 * zstd through zstd-jni. Like the zstd CLI it writes the content checksum (RFC 8878 3.1.1: XXH64 of
 * the content, low 4 bytes), and {@code workers} is the CLI's {@code -T} (ZSTD_c_nbWorkers).
 */
final class ZstdCodec implements Codec {
    @Override
    public void compress(CountingInputStream in, OutputStream out, int level, int workers, Progress progress)
            throws IOException {
        byte[] buf = new byte[CHUNK];
        try (ZstdOutputStreamNoFinalizer z = new ZstdOutputStreamNoFinalizer(new NonClosingOutputStream(out), level)) {
            z.setChecksum(true);
            z.setWorkers(workers);
            int n;
            while ((n = in.read(buf, 0, buf.length)) > 0) {
                z.write(buf, 0, n);
            }
        }
    }

    @Override
    public void decompress(CountingInputStream in, OutputStream out, Progress progress) throws IOException {
        byte[] buf = new byte[CHUNK];
        try (ZstdInputStreamNoFinalizer z = new ZstdInputStreamNoFinalizer(in)) {
            int n;
            while ((n = readFrame(z, buf)) >= 0) {
                out.write(buf, 0, n);
            }
        }
    }

    /** Reads decoded bytes, turning zstd's format errors (bad magic, checksum, truncation) into CorruptInput. */
    private static int readFrame(ZstdInputStreamNoFinalizer z, byte[] buf) throws IOException {
        try {
            return z.read(buf, 0, buf.length);
        } catch (ZstdIOException | ZstdException e) {
            throw new CorruptInput("zstd: " + e.getMessage(), e);
        }
    }
}
