package org.qemu.helpers.compress.store;

import org.freedesktop.dbus.utils.NameableThreadFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Writes a job's temporary file and starts writing it back to disk while the job runs: every
 * {@code every} bytes, one fdatasync ({@link FileChannel#force force(false)}) on a background thread,
 * never more than one at a time, so the fsync at commit finds only the last few MiB dirty instead of
 * the whole output (on /var/tmp here a 200 MB output took 0.1-0.2 s to fsync at the end).
 * This is no durability guarantee by itself: the commit's fsync still is. An error of a background
 * fdatasync fails the job, because Linux reports a writeback error to each descriptor once only and
 * the later fsync would then succeed.
 */
public final class WritebackOutputStream extends OutputStream {
    /** Bytes between two background fdatasyncs. */
    public static final long EVERY = 16L << 20;
    private static final ExecutorService SYNCER = Executors.newCachedThreadPool(new NameableThreadFactory("compress-writeback-", true));

    private final FileChannel channel;
    private final long every;
    private long written;
    private long syncRequestedAt;
    private Future<?> inFlight;

    public WritebackOutputStream(FileChannel channel, long every) {
        this.channel = channel;
        this.every = every;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
        written += len;
        if (written - syncRequestedAt >= every && (inFlight == null || inFlight.isDone())) {
            collect();
            syncRequestedAt = written;
            inFlight = SYNCER.submit(() -> {
                channel.force(false);
                return null;
            });
        }
    }

    /** Waits for the background fdatasync in flight, if any; throws its error. Call before the commit's fsync. */
    public void finish() throws IOException {
        collect();
    }

    /** Waits for the background fdatasync in flight and ignores its outcome (the job failed; the file goes). */
    public void abandon() {
        try {
            collect();
        } catch (IOException ignored) {
            // the temporary file is deleted next
        }
    }

    /** Bytes written so far. */
    public long written() {
        return written;
    }

    private void collect() throws IOException {
        Future<?> f = inFlight;
        if (f == null) {
            return;
        }
        inFlight = null;
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    f.get();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true; // the fdatasync still runs on the file: wait for it
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof IOException io) {
                        throw new IOException("writing back the output failed: " + io.getMessage(), io);
                    }
                    throw new IOException("writing back the output failed", c);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Does not close the channel: the caller fsyncs, renames and closes it. */
    @Override
    public void close() throws IOException {
        finish();
    }
}
