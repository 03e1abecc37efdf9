package org.qemu.helpers.compress.engine;

import java.io.IOException;
import java.io.OutputStream;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.xxhash.StreamingXXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * LZ4 frame format (lz4_Frame_format.md 1.6.x), written here so blocks compress in parallel:
 * independent 1 MiB blocks (BD = 6; LZ4 matches reach back only 64 KiB, so
 * this costs nothing against the CLI's 4 MiB and keeps the in-flight memory small), no block checksums, content checksum
 * (XXH32 of the content, seed 0) on, as the lz4 CLI writes by default. Levels 1-2 use the fast
 * compressor, 3-12 LZ4 HC at that level, as lz4(1). Reading uses lz4-java's LZ4FrameInputStream.
 */
final class Lz4Codec implements Codec {
    static final int MAGIC = 0x184D2204;
    static final int BLOCK = 1 << 20;
    /** FLG: version 01, block independence, content checksum (bits 7-6, 5, 2). */
    static final int FLG = 0b0110_0100;
    /** BD: block maximum size code 6 = 1 MiB (bits 6-4). */
    static final int BD = 6 << 4;

    @Override
    public void compress(CountingInputStream in, OutputStream out, int level, int workers, Progress progress)
            throws IOException {
        LZ4Factory factory = LZ4Factory.fastestInstance();
        LZ4Compressor compressor = level <= 2 ? factory.fastCompressor() : factory.highCompressor(level);
        XXHashFactory xx = XXHashFactory.fastestInstance();
        byte[] descriptor = {(byte) FLG, (byte) BD};
        int hc = (xx.hash32().hash(descriptor, 0, 2, 0) >>> 8) & 0xff;
        byte[] header = new byte[7];
        le32(header, 0, MAGIC);
        header[4] = (byte) FLG;
        header[5] = (byte) BD;
        header[6] = (byte) hc;
        out.write(header);
        try (StreamingXXHash32 content = xx.newStreamingHash32(0)) {
            BlockPipeline.run(in, BLOCK, workers, 2 * workers, progress, (b, buffers) -> compressBlock(compressor, b, buffers),
                    new BlockPipeline.Sink() {
                        @Override
                        public void read(BlockPipeline.Block b) {
                            content.update(b.data(), 0, b.length());
                        }

                        @Override
                        public void write(BlockPipeline.Block b, BlockPipeline.Output c) throws IOException {
                            out.write(c.data(), 0, c.length());
                        }
                    });
            byte[] end = new byte[8];
            le32(end, 0, 0); // EndMark
            le32(end, 4, content.getValue());
            out.write(end);
        }
    }

    /** A block: 4-byte size with the high bit set when stored uncompressed, then the data. */
    private static BlockPipeline.Output compressBlock(LZ4Compressor c, BlockPipeline.Block b,
                                                      BlockPipeline.Buffers buffers) {
        if (b.length() == 0) {
            return new BlockPipeline.Output(new byte[0], 0);
        }
        byte[] out = buffers.get(4 + c.maxCompressedLength(b.length()));
        int n = c.compress(b.data(), 0, b.length(), out, 4, out.length - 4);
        if (n >= b.length()) {
            le32(out, 0, b.length() | 0x80000000);
            System.arraycopy(b.data(), 0, out, 4, b.length());
            n = b.length();
        } else {
            le32(out, 0, n);
        }
        return new BlockPipeline.Output(out, 4 + n);
    }

    private static void le32(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    @Override
    public void decompress(CountingInputStream in, OutputStream out, Progress progress) throws IOException {
        byte[] buf = new byte[CHUNK];
        try (LZ4FrameInputStream z = new LZ4FrameInputStream(in)) {
            int n;
            while ((n = readFrame(z, buf)) >= 0) {
                out.write(buf, 0, n);
            }
        }
    }

    /** Reads decoded bytes, turning lz4-java's format errors into {@link CorruptInput}. */
    private static int readFrame(LZ4FrameInputStream z, byte[] buf) throws IOException {
        try {
            return z.read(buf, 0, buf.length);
        } catch (LZ4Exception e) {
            throw new CorruptInput("lz4: " + e.getMessage(), e);
        } catch (Cancelled e) {
            throw e;
        } catch (IOException e) {
            // lz4-java reports bad magic, hash mismatches and truncation as plain IOExceptions.
            throw new CorruptInput("lz4: " + e.getMessage(), e);
        }
    }
}
