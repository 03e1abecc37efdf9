package org.qemu.helpers.compress.engine;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Counts bytes written into {@link Progress#addOut} and stops with {@link Cancelled} once cancelled. */
public final class CountingOutputStream extends FilterOutputStream {
    private final Progress progress;

    public CountingOutputStream(OutputStream out, Progress progress) {
        super(out);
        this.progress = progress;
    }

    @Override
    public void write(int b) throws IOException {
        progress.check();
        out.write(b);
        progress.addOut(1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        progress.check();
        out.write(b, off, len);
        progress.addOut(len);
    }
}
