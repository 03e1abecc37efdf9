package org.qemu.helpers.slirpdhcp.engine.nat;

import java.nio.ByteBuffer;

/**
 * A bounded byte queue over one lazily allocated array: a flow's bytes that the other side has not taken yet
 * (host data the guest has not acknowledged; guest data the host socket could not take). Sockets read into and
 * write from it through {@link ByteBuffer} views, so data is copied once on its way through.
 */
public final class ByteRing {
    private final int capacity;
    private final RingArrays arrays;
    private byte[] buf;
    private int head;
    private int size;

    public ByteRing(int capacity) {
        this(new RingArrays(capacity));
    }

    /** A ring whose array comes from, and goes back to, {@code arrays} (shared by one engine's flows). */
    ByteRing(RingArrays arrays) {
        this.arrays = arrays;
        this.capacity = arrays.length();
    }

    public int size() {
        return size;
    }

    public int room() {
        return capacity - size;
    }

    public int capacity() {
        return capacity;
    }

    private byte[] array() {
        if (buf == null) {
            buf = arrays.take();
        }
        return buf;
    }

    /** Appends {@code len} bytes. The caller checked {@link #room()}. */
    public void append(byte[] src, int off, int len) {
        byte[] b = array();
        int tail = (head + size) % capacity;
        int first = Math.min(len, capacity - tail);
        System.arraycopy(src, off, b, tail, first);
        System.arraycopy(src, off + first, b, 0, len - first);
        size += len;
    }

    /** Views of the free space, in order, for a scattering read; then call {@link #appended}. */
    public ByteBuffer[] freeViews() {
        byte[] b = array();
        int tail = (head + size) % capacity;
        int free = room();
        int first = Math.min(free, capacity - tail);
        if (first == free) {
            return new ByteBuffer[] {ByteBuffer.wrap(b, tail, first)};
        }
        return new ByteBuffer[] {ByteBuffer.wrap(b, tail, first), ByteBuffer.wrap(b, 0, free - first)};
    }

    /** Records that a read into {@link #freeViews()} filled {@code n} bytes. */
    public void appended(int n) {
        size += n;
    }

    /** Views of the bytes from {@code offset} for {@code len}, in order, for a gathering write. */
    public ByteBuffer[] views(int offset, int len) {
        int start = (head + offset) % capacity;
        int first = Math.min(len, capacity - start);
        if (first == len) {
            return new ByteBuffer[] {ByteBuffer.wrap(buf, start, first)};
        }
        return new ByteBuffer[] {ByteBuffer.wrap(buf, start, first), ByteBuffer.wrap(buf, 0, len - first)};
    }

    /** Copies {@code len} bytes starting {@code offset} bytes after the head into {@code dst}. */
    public void copy(int offset, byte[] dst, int dstOff, int len) {
        int start = (head + offset) % capacity;
        int first = Math.min(len, capacity - start);
        System.arraycopy(buf, start, dst, dstOff, first);
        System.arraycopy(buf, 0, dst, dstOff + first, len - first);
    }

    /** Drops {@code n} bytes from the head (acknowledged, or written). */
    public void drop(int n) {
        head = (head + n) % capacity;
        size -= n;
        if (size == 0) {
            head = 0;
        }
    }

    /** Gives the array of an empty ring back (an idle flow keeps no buffer). */
    public void trim() {
        if (size == 0) {
            release();
        }
    }

    /** Drops every byte and gives the array back (the flow closed). */
    public void release() {
        arrays.give(buf);
        buf = null;
        head = 0;
        size = 0;
    }
}
