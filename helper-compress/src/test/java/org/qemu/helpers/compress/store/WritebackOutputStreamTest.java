package org.qemu.helpers.compress.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WritebackOutputStreamTest {
    @TempDir
    Path dir;

    @Test
    void writesEveryByteInOrderAndSyncsInTheBackgroundOneAtATime() throws Exception {
        long seed = 20261126L;
        Random r = new Random(seed);
        byte[] data = new byte[3 << 20];
        r.nextBytes(data);
        Path f = dir.resolve("out");
        try (CountingChannel ch = new CountingChannel(FileChannel.open(f, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), 5)) {
            WritebackOutputStream out = new WritebackOutputStream(ch, 64 * 1024);
            int off = 0;
            while (off < data.length) {
                int n = Math.min(data.length - off, 1 + r.nextInt(200_000));
                out.write(data, off, n);
                off += n;
            }
            out.finish();
            assertEquals(data.length, out.written());
            assertTrue(ch.forces.get() >= 1, "no background fdatasync for 3 MiB at one per 64 KiB");
            assertEquals(1, ch.maxConcurrent.get(), "fdatasyncs overlapped");
            assertTrue(ch.forces.get() <= data.length / (64 * 1024), "more fdatasyncs than 64 KiB steps");
        }
        assertArrayEquals(data, Files.readAllBytes(f), "seed " + seed);
    }

    @Test
    void noSyncBelowTheThreshold() throws Exception {
        try (CountingChannel ch = new CountingChannel(FileChannel.open(dir.resolve("small"),
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 0)) {
            WritebackOutputStream out = new WritebackOutputStream(ch, WritebackOutputStream.EVERY);
            out.write(new byte[1000], 0, 1000);
            out.write(7);
            out.finish();
            assertEquals(0, ch.forces.get());
        }
        assertEquals(1001, Files.size(dir.resolve("small")));
    }

    /** Linux reports a writeback error to a descriptor once: a failed background fdatasync must fail the job. */
    @Test
    void aFailedBackgroundSyncFailsTheJob() throws Exception {
        try (CountingChannel ch = new CountingChannel(FileChannel.open(dir.resolve("bad"),
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 0)) {
            ch.fail = true;
            WritebackOutputStream out = new WritebackOutputStream(ch, 10);
            out.write(new byte[100], 0, 100);
            IOException e = assertThrows(IOException.class, () -> {
                out.write(new byte[100], 0, 100); // may collect the failure here
                out.finish();                     // or here at the latest
            });
            assertTrue(e.getMessage().contains("writing back the output failed"), e.getMessage());
            out.abandon(); // nothing left in flight, nothing thrown
        }
    }

    /** Delegates to a real channel; counts force calls and their overlap; can fail them. */
    private static final class CountingChannel extends FileChannel {
        final FileChannel d;
        final long forceMillis;
        final AtomicInteger forces = new AtomicInteger();
        final AtomicInteger concurrent = new AtomicInteger();
        final AtomicInteger maxConcurrent = new AtomicInteger();
        volatile boolean fail;

        CountingChannel(FileChannel d, long forceMillis) {
            this.d = d;
            this.forceMillis = forceMillis;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            int now = concurrent.incrementAndGet();
            maxConcurrent.accumulateAndGet(now, Math::max);
            try {
                forces.incrementAndGet();
                Thread.sleep(forceMillis);
                if (fail) {
                    throw new IOException("EIO (injected)");
                }
                d.force(metaData);
            } catch (InterruptedException e) {
                throw new IOException(e);
            } finally {
                concurrent.decrementAndGet();
            }
        }

        @Override public int read(ByteBuffer dst) throws IOException { return d.read(dst); }
        @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException { return d.read(dsts, offset, length); }
        @Override public int write(ByteBuffer src) throws IOException { return d.write(src); }
        @Override public long write(ByteBuffer[] srcs, int offset, int length) throws IOException { return d.write(srcs, offset, length); }
        @Override public long position() throws IOException { return d.position(); }
        @Override public FileChannel position(long p) throws IOException { d.position(p); return this; }
        @Override public long size() throws IOException { return d.size(); }
        @Override public FileChannel truncate(long size) throws IOException { d.truncate(size); return this; }
        @Override public long transferTo(long position, long count, WritableByteChannel target) throws IOException { return d.transferTo(position, count, target); }
        @Override public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException { return d.transferFrom(src, position, count); }
        @Override public int read(ByteBuffer dst, long position) throws IOException { return d.read(dst, position); }
        @Override public int write(ByteBuffer src, long position) throws IOException { return d.write(src, position); }
        @Override public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException { return d.map(mode, position, size); }
        @Override public FileLock lock(long position, long size, boolean shared) throws IOException { return d.lock(position, size, shared); }
        @Override public FileLock tryLock(long position, long size, boolean shared) throws IOException { return d.tryLock(position, size, shared); }
        @Override protected void implCloseChannel() throws IOException { d.close(); }
    }
}
