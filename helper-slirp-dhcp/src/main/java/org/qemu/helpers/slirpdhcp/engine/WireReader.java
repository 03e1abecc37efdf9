package org.qemu.helpers.slirpdhcp.engine;

/**
 * Bounds-checked cursor over wire bytes: every read checks the remaining length first and fails with
 * {@link MalformedException} instead of an index error, so no length taken off the wire indexes an array unchecked.
 */
public final class WireReader {
    private final byte[] data;
    private final int end;
    private int pos;

    public WireReader(byte[] data) {
        this(data, 0, data.length);
    }

    public WireReader(byte[] data, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > data.length) {
            throw new IllegalArgumentException("bad slice " + offset + "+" + length + " of " + data.length);
        }
        this.data = data;
        this.pos = offset;
        this.end = offset + length;
    }

    public int remaining() {
        return end - pos;
    }

    public int position() {
        return pos;
    }

    private void need(int n, String what) throws MalformedException {
        if (n < 0 || n > end - pos) {
            throw new MalformedException(what + ": need " + n + " bytes, " + (end - pos) + " left");
        }
    }

    public int u8(String what) throws MalformedException {
        need(1, what);
        return data[pos++] & 0xff;
    }

    public int u16(String what) throws MalformedException {
        need(2, what);
        int v = ((data[pos] & 0xff) << 8) | (data[pos + 1] & 0xff);
        pos += 2;
        return v;
    }

    public int u32(String what) throws MalformedException {
        need(4, what);
        int v = ((data[pos] & 0xff) << 24) | ((data[pos + 1] & 0xff) << 16) | ((data[pos + 2] & 0xff) << 8)
                | (data[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    public byte[] bytes(int n, String what) throws MalformedException {
        need(n, what);
        byte[] out = new byte[n];
        System.arraycopy(data, pos, out, 0, n);
        pos += n;
        return out;
    }

    /** The array this reader reads, for a caller that keeps a checked range of it instead of a copy. */
    public byte[] array() {
        return data;
    }

    public void skip(int n, String what) throws MalformedException {
        need(n, what);
        pos += n;
    }

    /** A reader over the next {@code n} bytes; this reader moves past them. */
    public WireReader slice(int n, String what) throws MalformedException {
        need(n, what);
        WireReader r = new WireReader(data, pos, n);
        pos += n;
        return r;
    }

    /** The rest of the bytes, consumed. */
    public byte[] rest() {
        byte[] out = new byte[end - pos];
        System.arraycopy(data, pos, out, 0, out.length);
        pos = end;
        return out;
    }
}
