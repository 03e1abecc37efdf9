package org.qemu.helpers.compress.engine;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Lets a library stream "close" (finish its frame) without closing the file underneath. */
final class NonClosingOutputStream extends FilterOutputStream {
    NonClosingOutputStream(OutputStream out) { super(out); }

    @Override
    public void write(byte[] b, int off, int len) throws IOException { out.write(b, off, len); }

    @Override
    public void close() throws IOException { out.flush(); }
}
