package org.qemu.helpers.tpmstub.engine;

/**
 * Bounds-checked big-endian cursor over a command buffer (TPM 2.0 Part 2 marshalling).
 * Every overrun fails with TPM_RC_INSUFFICIENT; nothing is read past {@link #limit()}.
 */
public final class TpmReader {
    private final byte[] buf;
    private int pos;
    private int limit;

    public TpmReader(byte[] buf, int offset, int limit) {
        if (offset < 0 || limit > buf.length || offset > limit) {
            throw new IllegalArgumentException("bad window");
        }
        this.buf = buf;
        this.pos = offset;
        this.limit = limit;
    }

    public int remaining() {
        return limit - pos;
    }

    public int position() {
        return pos;
    }

    public int limit() {
        return limit;
    }

    /** Narrows the readable window to the next n bytes; returns the old limit for {@link #restoreLimit}. */
    public int pushLimit(int n) throws TpmFormatException {
        need(n);
        int old = limit;
        limit = pos + n;
        return old;
    }

    public void restoreLimit(int oldLimit) {
        limit = oldLimit;
    }

    private void need(int n) throws TpmFormatException {
        if (n < 0 || n > limit - pos) {
            throw new TpmFormatException(TpmRc.INSUFFICIENT);
        }
    }

    public int u8() throws TpmFormatException {
        need(1);
        return buf[pos++] & 0xFF;
    }

    public int u16() throws TpmFormatException {
        need(2);
        int v = ((buf[pos] & 0xFF) << 8) | (buf[pos + 1] & 0xFF);
        pos += 2;
        return v;
    }

    public long u32() throws TpmFormatException {
        need(4);
        long v = ((long) (buf[pos] & 0xFF) << 24) | ((buf[pos + 1] & 0xFF) << 16)
                | ((buf[pos + 2] & 0xFF) << 8) | (buf[pos + 3] & 0xFF);
        pos += 4;
        return v;
    }

    public int s32() throws TpmFormatException {
        return (int) u32();
    }

    public byte[] bytes(int n) throws TpmFormatException {
        need(n);
        byte[] out = new byte[n];
        System.arraycopy(buf, pos, out, 0, n);
        pos += n;
        return out;
    }

    /** A TPM2B: u16 size (at most maxSize, else TPM_RC_SIZE) then that many bytes. */
    public byte[] tpm2b(int maxSize) throws TpmFormatException {
        int size = u16();
        if (size > maxSize) {
            throw new TpmFormatException(TpmRc.SIZE);
        }
        return bytes(size);
    }
}
