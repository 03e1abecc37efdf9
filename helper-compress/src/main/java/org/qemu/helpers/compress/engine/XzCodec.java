package org.qemu.helpers.compress.engine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import org.tukaani.xz.CorruptedInputException;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.MemoryLimitException;
import org.tukaani.xz.UnsupportedOptionsException;
import org.tukaani.xz.XZ;
import org.tukaani.xz.XZFormatException;
import org.tukaani.xz.XZInputStream;
import org.tukaani.xz.XZOutputStream;

/**
 * xz through org.tukaani:xz, CRC64 check as xz(1). With two or more workers the input is cut into
 * blocks of three dictionary sizes (xz's own -T block size) and each is compressed into a complete
 * .xz stream; the streams are concatenated, which the xz file format allows (2.2: "Concatenated
 * Streams") and xz -d and XZInputStream both read.
 */
final class XzCodec implements Codec {
    /** Decoder memory cap: xz presets need at most 65 MiB to decode; refuse absurd dictionaries. */
    static final int MEMORY_LIMIT_KIB = 1024 * 1024;

    @Override
    public void compress(CountingInputStream in, OutputStream out, int level, int workers, Progress progress)
            throws IOException {
        LZMA2Options opts = new LZMA2Options(level);
        if (workers <= 1) {
            byte[] buf = new byte[CHUNK];
            try (XZOutputStream x = new XZOutputStream(new NonClosingOutputStream(out), opts, XZ.CHECK_CRC64)) {
                int n;
                while ((n = in.read(buf, 0, buf.length)) > 0) {
                    x.write(buf, 0, n);
                }
            }
            return;
        }
        int block = blockSize(opts);
        BlockPipeline.run(in, block, workers, workers + 1, progress, (b, buffers) -> {
            ByteArrayOutputStream bo = new ByteArrayOutputStream(b.length() / 3 + 1024);
            try (XZOutputStream x = new XZOutputStream(bo, opts, XZ.CHECK_CRC64)) {
                x.write(b.data(), 0, b.length());
            }
            return new BlockPipeline.Output(bo.toByteArray(), bo.size());
        }, new BlockPipeline.Sink() {
            @Override
            public void read(BlockPipeline.Block b) { }

            @Override
            public void write(BlockPipeline.Block b, BlockPipeline.Output c) throws IOException {
                out.write(c.data(), 0, c.length());
            }
        });
    }

    static int memoryLimitKib() {
        return (int) Math.min(MEMORY_LIMIT_KIB, Runtime.getRuntime().maxMemory() / 2048);
    }

    /** Heap a compression at {@code level} with {@code workers} needs: encoders plus blocks in flight. */
    static long compressMemory(int level, int workers) throws IOException {
        LZMA2Options opts = new LZMA2Options(level);
        long encoder = opts.getEncoderMemoryUsage() * 1024L;
        if (workers <= 1) {
            return encoder + 2L * CHUNK;
        }
        long block = blockSize(opts);
        return workers * encoder + (workers + 1L) * (block + block / 2);
    }

    static int blockSize(LZMA2Options opts) {
        return (int) Math.min(256L << 20, Math.max(1L << 20, 3L * opts.getDictSize()));
    }

    @Override
    public void decompress(CountingInputStream in, OutputStream out, Progress progress) throws IOException {
        byte[] buf = new byte[CHUNK];
        try (XZInputStream x = new XZInputStream(in, memoryLimitKib())) {
            int n;
            while ((n = x.read(buf, 0, buf.length)) >= 0) {
                out.write(buf, 0, n);
            }
        } catch (XZFormatException | CorruptedInputException | UnsupportedOptionsException e) {
            throw new CorruptInput("xz: " + e.getMessage(), e);
        } catch (MemoryLimitException e) {
            throw new CorruptInput("xz: the stream needs " + e.getMemoryNeeded() + " KiB to decode, over the "
                    + memoryLimitKib() + " KiB limit (1 GiB or half the helper's heap)", e);
        } catch (java.io.EOFException e) {
            throw new CorruptInput("xz: truncated input", e);
        }
    }
}
