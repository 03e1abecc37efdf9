package org.qemu.helpers.uiclient.engine;

import java.util.Arrays;

/**
 * Reads the bodies of QEMU's two pixel-carrying Listener calls straight from D-Bus wire bytes
 * (D-Bus specification, "Marshaling (Wire Format)": 4-byte aligned integers, an array as its
 * u32 byte length then the elements; a message body starts 8-aligned, so offsets are counted from
 * the body). Free of I/O. dbus-java 5.2.2 unmarshals an {@code ay} method argument one element at
 * a time as boxed Bytes and converts the list back (Message.extractOne ->
 * Marshalling.deSerializeParameter): about 70 % of the helper's CPU while a text console
 * scrolls. A body that does not match the exact signature and length is not read here (null)
 * and goes the ordinary way, where it is checked and rejected.
 */
public final class ListenerWire {
    private ListenerWire() {
    }

    /**
     * Scanout(u width, u height, u stride, u pixman_format, ay data); the pixels are
     * {@code buffer[dataOffset .. dataOffset+dataLength)} of the buffer the body was read from.
     */
    public record Scanout(long width, long height, long stride, long format, byte[] buffer, int dataOffset,
                          int dataLength) {
        /** A copy of the pixel bytes. */
        public byte[] data() {
            return Arrays.copyOfRange(buffer, dataOffset, dataOffset + dataLength);
        }
    }

    /** Update(i x, i y, i width, i height, u stride, u pixman_format, ay data), pixels as in {@link Scanout}. */
    public record Update(int x, int y, int width, int height, long stride, long format, byte[] buffer,
                         int dataOffset, int dataLength) {
        /** A copy of the pixel bytes. */
        public byte[] data() {
            return Arrays.copyOfRange(buffer, dataOffset, dataOffset + dataLength);
        }
    }

    /** Signature "uuuuay": the body as a Scanout, or null if it is not exactly one. */
    public static Scanout scanout(byte[] body, boolean bigEndian) {
        return body == null ? null : scanout(body, 0, body.length, bigEndian);
    }

    /**
     * As {@link #scanout(byte[], boolean)} for the body at {@code b[off .. off+len)} (off is the
     * body's start, so the alignment rules hold relative to it). Copies nothing.
     */
    public static Scanout scanout(byte[] b, int off, int len, boolean bigEndian) {
        int data = array(b, off, len, 16, bigEndian);
        return data < 0 ? null : new Scanout(u32(b, off, bigEndian), u32(b, off + 4, bigEndian),
                u32(b, off + 8, bigEndian), u32(b, off + 12, bigEndian), b, data, off + len - data);
    }

    /** Signature "iiiiuuay": the body as an Update, or null if it is not exactly one. */
    public static Update update(byte[] body, boolean bigEndian) {
        return body == null ? null : update(body, 0, body.length, bigEndian);
    }

    /** As {@link #update(byte[], boolean)} for the body at {@code b[off .. off+len)}. Copies nothing. */
    public static Update update(byte[] b, int off, int len, boolean bigEndian) {
        int data = array(b, off, len, 24, bigEndian);
        return data < 0 ? null : new Update((int) u32(b, off, bigEndian), (int) u32(b, off + 4, bigEndian),
                (int) u32(b, off + 8, bigEndian), (int) u32(b, off + 12, bigEndian), u32(b, off + 16, bigEndian),
                u32(b, off + 20, bigEndian), b, data, off + len - data);
    }

    /**
     * Where the bytes of the {@code ay} whose length is at body offset {@code at} start, if the
     * array ends the body exactly; else -1.
     */
    private static int array(byte[] b, int off, int len, int at, boolean big) {
        if (b == null || off < 0 || len < at + 4 || off > b.length - len) {
            return -1;
        }
        long n = u32(b, off + at, big);
        if (n != len - (at + 4L)) {
            return -1;
        }
        return off + at + 4;
    }

    private static long u32(byte[] b, int o, boolean big) {
        return ListenerHeader.u32(b, o, big);
    }
}
