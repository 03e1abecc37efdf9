package org.qemu.helpers.compress.engine;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Counts bytes read into {@link Progress#addIn} and stops with {@link Cancelled} once cancelled. */
public final class CountingInputStream extends FilterInputStream {
    private final Progress progress;

    public CountingInputStream(InputStream in, Progress progress) {
        super(in);
        this.progress = progress;
    }

    @Override
    public int read() throws IOException {
        progress.check();
        int b = in.read();
        if (b >= 0) {
            progress.addIn(1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        progress.check();
        int n = in.read(b, off, len);
        if (n > 0) {
            progress.addIn(n);
        }
        return n;
    }

    /** Reads until {@code len} bytes or end of input; returns the count (less than len only at the end). */
    public int readFully(byte[] b, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            int n = read(b, off + done, len - done);
            if (n < 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    @Override
    public long skip(long n) throws IOException {
        throw new IOException("skip is not supported");
    }
}
