package org.qemu.helpers.compress.engine;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * gzip (RFC 1952) over raw deflate (RFC 1951). With one worker: one deflate stream. With two or more:
 * pigz's scheme, one member made of 512 KiB blocks (pigz uses 128 KiB; larger blocks spend less on
 * re-hashing the dictionary, which is 32 KiB per block) deflated in parallel, each primed with the last
 * 32 KiB of the block before it as dictionary and ended with a sync flush (an empty stored block,
 * RFC 1951 3.2.4) so the pieces concatenate into one valid deflate stream; only the last block is
 * final. The CRC-32 is computed over the input in order on the job thread.
 */
final class GzipCodec implements Codec {
    static final int BLOCK = 512 * 1024;
    static final int WINDOW = 32 * 1024;

    @Override
    public void compress(CountingInputStream in, OutputStream out, int level, int workers, Progress progress)
            throws IOException {
        writeHeader(out, level);
        CRC32 crc = new CRC32();
        long[] size = {0};
        if (workers <= 1) {
            Deflater d = new Deflater(level, true);
            try {
                byte[] inBuf = new byte[CHUNK];
                byte[] outBuf = new byte[CHUNK / 2];
                int n;
                while ((n = in.readFully(inBuf, 0, inBuf.length)) > 0) {
                    crc.update(inBuf, 0, n);
                    size[0] += n;
                    d.setInput(inBuf, 0, n);
                    while (!d.needsInput()) {
                        int k = d.deflate(outBuf);
                        out.write(outBuf, 0, k);
                    }
                }
                d.finish();
                while (!d.finished()) {
                    int k = d.deflate(outBuf);
                    out.write(outBuf, 0, k);
                }
            } finally {
                d.end();
            }
        } else {
            List<Deflater> all = new CopyOnWriteArrayList<>();
            ThreadLocal<Deflater> local = ThreadLocal.withInitial(() -> {
                Deflater d = new Deflater(level, true);
                all.add(d);
                return d;
            });
            try {
                BlockPipeline.run(in, BLOCK, workers, 4 * workers, progress,
                        (b, buffers) -> deflateBlock(local.get(), b, buffers),
                        new BlockPipeline.Sink() {
                            @Override
                            public void read(BlockPipeline.Block b) {
                                crc.update(b.data(), 0, b.length());
                                size[0] += b.length();
                            }

                            @Override
                            public void write(BlockPipeline.Block b, BlockPipeline.Output c) throws IOException {
                                out.write(c.data(), 0, c.length());
                            }
                        });
            } finally {
                all.forEach(Deflater::end);
            }
        }
        writeLe32(out, (int) crc.getValue());
        writeLe32(out, (int) size[0]); // RFC 1952 2.3.1: ISIZE is the input size modulo 2^32
    }

    private static BlockPipeline.Output deflateBlock(Deflater d, BlockPipeline.Block b, BlockPipeline.Buffers buffers) {
        d.reset();
        BlockPipeline.Block prev = b.previous();
        if (prev != null) {
            int dl = Math.min(WINDOW, prev.length());
            d.setDictionary(prev.data(), prev.length() - dl, dl);
        }
        d.setInput(b.data(), 0, b.length());
        byte[] out = buffers.get(b.length() + (b.length() >> 3) + 64);
        int pos = 0;
        if (b.last()) {
            d.finish();
            while (!d.finished()) {
                if (pos == out.length) {
                    out = Arrays.copyOf(out, out.length * 2);
                }
                pos += d.deflate(out, pos, out.length - pos);
            }
        } else {
            // Deflater.deflate with SYNC_FLUSH: if it fills the buffer, call again with more room.
            while (true) {
                if (pos == out.length) {
                    out = Arrays.copyOf(out, out.length * 2);
                }
                int room = out.length - pos;
                int k = d.deflate(out, pos, room, Deflater.SYNC_FLUSH);
                pos += k;
                if (k < room) {
                    break;
                }
            }
        }
        return new BlockPipeline.Output(out, pos);
    }

    /** RFC 1952 2.3: ID1 ID2 CM FLG MTIME(0: unknown) XFL OS(3: Unix). */
    private static void writeHeader(OutputStream out, int level) throws IOException {
        int xfl = level == 9 ? 2 : level == 1 ? 4 : 0;
        out.write(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, (byte) xfl, 3});
    }

    private static void writeLe32(OutputStream out, int v) throws IOException {
        out.write(new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)});
    }

    @Override
    public void decompress(CountingInputStream in, OutputStream out, Progress progress) throws IOException {
        new MemberReader(in, out).run();
    }

    /** Reads concatenated gzip members (RFC 1952 2.2), checking each member's CRC-32 and ISIZE. */
    private static final class MemberReader {
        private static final int FTEXT = 1, FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16;
        private final CountingInputStream in;
        private final OutputStream out;
        private final byte[] buf = new byte[CHUNK / 4];
        private int pos;
        private int lim;

        MemberReader(CountingInputStream in, OutputStream out) {
            this.in = in;
            this.out = out;
        }

        void run() throws IOException {
            Inflater inf = new Inflater(true);
            byte[] outBuf = new byte[CHUNK];
            try {
                int members = 0;
                while (true) {
                    if (!fill()) {
                        if (members == 0) {
                            throw new CorruptInput("gzip: empty input");
                        }
                        return;
                    }
                    readHeader(members);
                    inf.reset();
                    CRC32 crc = new CRC32();
                    long size = 0;
                    while (!inf.finished()) {
                        if (inf.needsInput()) {
                            if (!fill()) {
                                throw new CorruptInput("gzip: truncated input in member " + (members + 1));
                            }
                            inf.setInput(buf, pos, lim - pos);
                            pos = lim;
                        }
                        int k;
                        try {
                            k = inf.inflate(outBuf);
                        } catch (DataFormatException e) {
                            throw new CorruptInput("gzip: invalid deflate data: " + e.getMessage());
                        }
                        if (k > 0) {
                            crc.update(outBuf, 0, k);
                            size += k;
                            out.write(outBuf, 0, k);
                        } else if (inf.needsDictionary()) {
                            throw new CorruptInput("gzip: deflate data needs a preset dictionary");
                        }
                    }
                    pos = lim - inf.getRemaining();
                    int wantCrc = readLe32();
                    int wantSize = readLe32();
                    if (wantCrc != (int) crc.getValue()) {
                        throw new CorruptInput("gzip: CRC-32 mismatch in member " + (members + 1));
                    }
                    if (wantSize != (int) size) {
                        throw new CorruptInput("gzip: length mismatch in member " + (members + 1));
                    }
                    members++;
                }
            } finally {
                inf.end();
            }
        }

        private void readHeader(int members) throws IOException {
            int id1 = u8();
            int id2 = u8();
            if (id1 != 0x1f || id2 != 0x8b) {
                throw new CorruptInput(members == 0 ? "gzip: not in gzip format"
                        : "gzip: trailing garbage after member " + members);
            }
            if (u8() != 8) {
                throw new CorruptInput("gzip: unknown compression method");
            }
            int flg = u8();
            if ((flg & 0xe0) != 0) {
                throw new CorruptInput("gzip: reserved header flags set");
            }
            for (int i = 0; i < 6; i++) {
                u8(); // MTIME, XFL, OS
            }
            if ((flg & FEXTRA) != 0) {
                int xlen = u8() | (u8() << 8);
                for (int i = 0; i < xlen; i++) {
                    u8();
                }
            }
            if ((flg & FNAME) != 0) {
                while (u8() != 0) { /* skip the original file name */ }
            }
            if ((flg & FCOMMENT) != 0) {
                while (u8() != 0) { /* skip the comment */ }
            }
            if ((flg & FHCRC) != 0) {
                u8();
                u8();
            }
            // FTEXT is only a hint.
            assert FTEXT == 1;
        }

        private boolean fill() throws IOException {
            if (pos < lim) {
                return true;
            }
            int n = in.read(buf, 0, buf.length);
            if (n <= 0) {
                pos = lim = 0;
                return false;
            }
            pos = 0;
            lim = n;
            return true;
        }

        private int u8() throws IOException {
            if (!fill()) {
                throw new CorruptInput("gzip: truncated header or trailer");
            }
            return buf[pos++] & 0xff;
        }

        private int readLe32() throws IOException {
            return u8() | (u8() << 8) | (u8() << 16) | (u8() << 24);
        }
    }
}
