package org.qemu.helpers.compress.engine;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Parallel block compression in the manner of pigz: the job thread reads fixed-size blocks, workers
 * compress them independently, the job thread writes the results in input order. At most
 * {@code inFlight} blocks are held at once, which bounds memory.
 */
final class BlockPipeline {
    /** One input block; {@code previous} is the block before it (for a deflate dictionary), or null. */
    record Block(long index, byte[] data, int length, Block previous, boolean last) { }

    /** Compresses one block on a worker thread. */
    interface Compressor {
        byte[] compress(Block block) throws IOException;
    }

    /** Receives blocks in input order on the job thread: before submission and after compression. */
    interface Sink {
        /** Called in input order as blocks are read (e.g. to update a running checksum of the content). */
        void read(Block block) throws IOException;

        void write(Block block, byte[] compressed) throws IOException;
    }

    private static final AtomicInteger THREADS = new AtomicInteger();

    private BlockPipeline() { }

    /**
     * Runs the pipeline to the end of {@code in}. An empty input yields exactly one empty last block,
     * so every format still writes a valid (empty) stream.
     */
    static void run(CountingInputStream in, int blockSize, int workers, int inFlight, Progress progress,
                    Compressor compressor, Sink sink) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "compress-worker-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        ArrayDeque<Submitted> pending = new ArrayDeque<>();
        try {
            byte[] first = new byte[blockSize];
            int n = in.readFully(first, 0, blockSize);
            Block current = new Block(0, first, n, null, false);
            while (true) {
                byte[] nextData = null;
                int m = 0;
                if (current.length() == blockSize) {
                    nextData = new byte[blockSize];
                    m = in.readFully(nextData, 0, blockSize);
                }
                boolean last = m == 0;
                Block b = new Block(current.index(), current.data(), current.length(),
                        current.previous(), last);
                sink.read(b);
                while (pending.size() >= inFlight) {
                    Submitted s = pending.removeFirst();
                    sink.write(s.block, await(s.future, progress));
                }
                pending.addLast(new Submitted(b, pool.submit(() -> compressor.compress(b))));
                if (last) {
                    break;
                }
                // Drop the link two back so only one previous block stays reachable per block.
                Block prev = new Block(b.index(), b.data(), b.length(), null, false);
                current = new Block(b.index() + 1, nextData, m, prev, false);
            }
            while (!pending.isEmpty()) {
                Submitted s = pending.removeFirst();
                sink.write(s.block, await(s.future, progress));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private record Submitted(Block block, Future<byte[]> future) { }

    private static byte[] await(Future<byte[]> f, Progress progress) throws IOException {
        progress.check();
        try {
            return f.get();
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
