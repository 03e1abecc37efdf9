package org.qemu.helpers.tpmstub.engine;

import java.util.Arrays;

/** Big-endian output buffer for responses and state blobs. */
public final class TpmWriter {
    private byte[] buf;
    private int len;

    public TpmWriter(int initial) {
        buf = new byte[Math.max(16, initial)];
    }

    private void ensure(int n) {
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
        }
    }

    public TpmWriter u8(int v) {
        ensure(1);
        buf[len++] = (byte) v;
        return this;
    }

    public TpmWriter u16(int v) {
        ensure(2);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
        return this;
    }

    public TpmWriter u32(long v) {
        ensure(4);
        buf[len++] = (byte) (v >>> 24);
        buf[len++] = (byte) (v >>> 16);
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) v;
        return this;
    }

    public TpmWriter u64(long v) {
        u32(v >>> 32);
        return u32(v & 0xFFFFFFFFL);
    }

    public TpmWriter bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
        return this;
    }

    public TpmWriter tpm2b(byte[] b) {
        u16(b.length);
        return bytes(b);
    }

    /** Empties the writer, keeping its buffer (for a hot path that encodes over and over). */
    public TpmWriter reset() {
        len = 0;
        return this;
    }

    /** The internal buffer; valid up to {@link #length()} until the next write. */
    public byte[] buffer() {
        return buf;
    }

    /** Appends the CRC-32C of everything written so far, without copying. */
    public TpmWriter appendCrc32c() {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(buf, 0, len);
        return u32(crc.getValue());
    }

    public int length() {
        return len;
    }

    /** Overwrites a u32 already written at offset (for size fields). */
    public void putU32At(int offset, long v) {
        buf[offset] = (byte) (v >>> 24);
        buf[offset + 1] = (byte) (v >>> 16);
        buf[offset + 2] = (byte) (v >>> 8);
        buf[offset + 3] = (byte) v;
    }

    /** Appends the CRC-32C of everything written so far and returns the bytes. */
    public byte[] sealWithCrc32c() {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(buf, 0, len);
        u32(crc.getValue());
        return toByteArray();
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }
}
