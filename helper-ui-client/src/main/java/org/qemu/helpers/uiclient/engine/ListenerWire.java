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

    /** Scanout(u width, u height, u stride, u pixman_format, ay data). */
    public record Scanout(long width, long height, long stride, long format, byte[] data) {
    }

    /** Update(i x, i y, i width, i height, u stride, u pixman_format, ay data). */
    public record Update(int x, int y, int width, int height, long stride, long format, byte[] data) {
    }

    /** Signature "uuuuay": the body as a Scanout, or null if it is not exactly one. */
    public static Scanout scanout(byte[] body, boolean bigEndian) {
        byte[] data = array(body, 16, bigEndian);
        return data == null ? null : new Scanout(u32(body, 0, bigEndian), u32(body, 4, bigEndian),
                u32(body, 8, bigEndian), u32(body, 12, bigEndian), data);
    }

    /** Signature "iiiiuuay": the body as an Update, or null if it is not exactly one. */
    public static Update update(byte[] body, boolean bigEndian) {
        byte[] data = array(body, 24, bigEndian);
        return data == null ? null : new Update((int) u32(body, 0, bigEndian), (int) u32(body, 4, bigEndian),
                (int) u32(body, 8, bigEndian), (int) u32(body, 12, bigEndian), u32(body, 16, bigEndian),
                u32(body, 20, bigEndian), data);
    }

    /** The {@code ay} whose length is at {@code at}, if it ends the body exactly. */
    private static byte[] array(byte[] body, int at, boolean big) {
        if (body == null || body.length < at + 4) {
            return null;
        }
        long n = u32(body, at, big);
        if (n != body.length - (at + 4L)) {
            return null;
        }
        return Arrays.copyOfRange(body, at + 4, body.length);
    }

    private static long u32(byte[] b, int o, boolean big) {
        return ListenerHeader.u32(b, o, big);
    }
}
