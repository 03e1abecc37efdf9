package org.qemu.helpers.compress.engine;

import org.freedesktop.dbus.utils.NameableThreadFactory;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Parallel block compression in the manner of pigz: the job thread reads fixed-size blocks, workers
 * compress them independently, the job thread writes the results in input order. At most
 * {@code inFlight} blocks are held at once, which bounds memory.
 */
final class BlockPipeline {
    /** One input block; {@code previous} is the block before it (for a deflate dictionary), or null. */
    record Block(long index, byte[] data, int length, Block previous, boolean last) { }

    /** A compressed block: the first {@code length} bytes of {@code data}. */
    record Output(byte[] data, int length) { }

    /** Compresses one block on a worker thread, into a buffer taken from {@code pool}. */
    interface Compressor {
        Output compress(Block block, Buffers pool) throws IOException;
    }

    /**
     * Recycled output buffers: a block's output buffer is reused once the block is written, so a
     * job allocates a handful of buffers instead of several per block (large arrays are costly for
     * the garbage collector, G1 treats arrays of half a region or more as humongous).
     */
    static final class Buffers {
        private final java.util.concurrent.ConcurrentLinkedQueue<byte[]> free =
                new java.util.concurrent.ConcurrentLinkedQueue<>();

        /** A buffer of at least {@code size} bytes (contents undefined). */
        byte[] get(int size) {
            byte[] b = free.poll();
            return b != null && b.length >= size ? b : new byte[size];
        }

        void put(byte[] b) {
            if (free.size() < 64) {
                free.add(b);
            }
        }
    }

    /** Receives blocks in input order on the job thread: before submission and after compression. */
    interface Sink {
        /** Called in input order as blocks are read (e.g. to update a running checksum of the content). */
        void read(Block block) throws IOException;

        void write(Block block, Output compressed) throws IOException;
    }


    private BlockPipeline() { }

    /**
     * Runs the pipeline to the end of {@code in}. An empty input yields exactly one empty last block,
     * so every format still writes a valid (empty) stream.
     */
    static void run(CountingInputStream in, int blockSize, int workers, int inFlight, Progress progress,
                    Compressor compressor, Sink sink) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(workers, new NameableThreadFactory("compress-worker-", true));
        ArrayDeque<Submitted> pending = new ArrayDeque<>();
        Buffers outputs = new Buffers();
        ArrayDeque<byte[]> inputs = new ArrayDeque<>();
        byte[][] lastWritten = {null};
        try {
            byte[] first = new byte[blockSize];
            int n = in.readFully(first, 0, blockSize);
            Block current = new Block(0, first, n, null, false);
            while (true) {
                byte[] nextData = null;
                int m = 0;
                if (current.length() == blockSize) {
                    nextData = inputs.isEmpty() ? new byte[blockSize] : inputs.poll();
                    m = in.readFully(nextData, 0, blockSize);
                }
                boolean last = m == 0;
                Block b = new Block(current.index(), current.data(), current.length(),
                        current.previous(), last);
                sink.read(b);
                while (pending.size() >= inFlight) {
                    write(pending.removeFirst(), progress, sink, outputs, inputs, lastWritten);
                }
                pending.addLast(new Submitted(b, pool.submit(() -> compressor.compress(b, outputs))));
                if (last) {
                    break;
                }
                // Drop the link two back so only one previous block stays reachable per block.
                Block prev = new Block(b.index(), b.data(), b.length(), null, false);
                current = new Block(b.index() + 1, nextData, m, prev, false);
            }
            while (!pending.isEmpty()) {
                write(pending.removeFirst(), progress, sink, outputs, inputs, lastWritten);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Writes the oldest block. Its input buffer can be reused only after the NEXT block is written,
     * because that block may still read it as its dictionary; so the one written before is freed.
     */
    private static void write(Submitted s, Progress progress, Sink sink, Buffers outputs, ArrayDeque<byte[]> inputs,
                              byte[][] lastWritten) throws IOException {
        Output out = await(s.future, progress);
        sink.write(s.block, out);
        outputs.put(out.data());
        if (lastWritten[0] != null) {
            inputs.add(lastWritten[0]);
        }
        lastWritten[0] = s.block.data();
    }

    private record Submitted(Block block, Future<Output> future) { }

    /** Waits for a block, checking for cancel every 50 ms so a slow block (xz) does not delay it. */
    private static Output await(Future<Output> f, Progress progress) throws IOException {
        while (true) {
            progress.check();
            try {
                return f.get(50, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                // not yet: check for cancel again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted");
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof IOException io) {
                    throw io;
                }
                if (c instanceof RuntimeException re) {
                    throw re;
                }
                throw new IOException(c);
            }
        }
    }
}
