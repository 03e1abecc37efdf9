package org.qemu.helpers.uiclient.engine;

import java.nio.charset.StandardCharsets;

/**
 * Decides from a D-Bus message's raw header (D-Bus specification, "Message Format": the 12-byte
 * fixed part, then the header fields {@code a(yv)}, each struct 8-aligned from the message start)
 * whether it is one of QEMU's pixel calls to our listener that can be applied straight from the
 * wire: a METHOD_CALL with NO_REPLY_EXPECTED, PATH /org/qemu/Display1/Listener, INTERFACE
 * org.qemu.Display1.Listener, MEMBER Scanout/Update/Disable with exactly signature
 * {@code uuuuay}/{@code iiiiuuay}/none, no UNIX_FDS. Free of I/O, allocates nothing: the strings
 * are compared as bytes. Anything else, including a header that does not parse, is
 * {@link Kind#OTHER} and goes through dbus-java, which checks and rejects it as before.
 */
public final class ListenerHeader {
    /** Which pixel call a header announces. */
    public enum Kind { SCANOUT, UPDATE, DISABLE, OTHER }

    private static final byte[] PATH = ascii("/org/qemu/Display1/Listener");
    private static final byte[] IFACE = ascii("org.qemu.Display1.Listener");
    private static final byte[] SCANOUT = ascii("Scanout");
    private static final byte[] UPDATE = ascii("Update");
    private static final byte[] DISABLE = ascii("Disable");
    private static final byte[] SIG_SCANOUT = ascii("uuuuay");
    private static final byte[] SIG_UPDATE = ascii("iiiiuuay");

    private ListenerHeader() {
    }

    /**
     * @param fixed  the 12-byte fixed part (endianness, type, flags, version, body length, serial)
     * @param fields the header-field array's bytes (without its length), message offset 16
     * @param length how many bytes of {@code fields} the array has
     */
    public static Kind classify(byte[] fixed, byte[] fields, int length) {
        return classify(fixed, fields, 0, length);
    }

    /**
     * As {@link #classify(byte[], byte[], int)} with the header fields at {@code fields[base ..
     * base+length)}; {@code base} must be a multiple of 8 (e.g. 16 when {@code fixed} and
     * {@code fields} are one buffer holding the whole message).
     */
    public static Kind classify(byte[] fixed, byte[] fields, int base, int length) {
        if (fixed.length < 12 || fixed[1] != 1 || (fixed[2] & 0x1) == 0 || length < 0 || base < 0
                || (base & 7) != 0 || length > fields.length - base) {
            return Kind.OTHER; // not a METHOD_CALL, or a reply is expected
        }
        boolean big = fixed[0] == 'B';
        int end = base + length;
        boolean path = false;
        boolean iface = false;
        Kind member = null;
        int sigStart = -1;
        int sigLen = 0;
        int p = base; // an absolute index: base is 8-aligned, so the alignment rules hold as they are
        while (p < end) {
            p = (p + 7) & ~7; // each struct starts 8-aligned (fields start at offset 16)
            if (p + 4 > end) {
                return Kind.OTHER;
            }
            int code = fields[p] & 0xff;
            int vsigLen = fields[p + 1] & 0xff; // the variant's signature: length, chars, NUL
            if (vsigLen != 1 || fields[p + 3] != 0) {
                return Kind.OTHER;
            }
            byte t = fields[p + 2];
            p += 4;
            int strStart;
            int strLen;
            if (t == 's' || t == 'o') {
                p = (p + 3) & ~3;
                if (p + 4 > end) {
                    return Kind.OTHER;
                }
                long n = u32(fields, p, big);
                if (n > end - p - 5L) {
                    return Kind.OTHER;
                }
                strStart = p + 4;
                strLen = (int) n;
                p = strStart + strLen + 1;
            } else if (t == 'g') {
                if (p >= end) {
                    return Kind.OTHER; // the signature's length byte is past the fields (found by fuzzing)
                }
                strLen = fields[p] & 0xff;
                strStart = p + 1;
                if (strStart + strLen + 1 > end) {
                    return Kind.OTHER;
                }
                p = strStart + strLen + 1;
            } else if (t == 'u') {
                p = (p + 3) & ~3;
                if (p + 4 > end) {
                    return Kind.OTHER;
                }
                if (code == 9 && u32(fields, p, big) != 0) {
                    return Kind.OTHER; // carries file descriptors
                }
                p += 4;
                continue;
            } else {
                return Kind.OTHER;
            }
            if (fields[strStart + strLen] != 0) {
                return Kind.OTHER;
            }
            switch (code) {
                case 1 -> path = t == 'o' && same(fields, strStart, strLen, PATH);
                case 2 -> iface = t == 's' && same(fields, strStart, strLen, IFACE);
                case 3 -> member = t != 's' ? Kind.OTHER
                        : same(fields, strStart, strLen, SCANOUT) ? Kind.SCANOUT
                        : same(fields, strStart, strLen, UPDATE) ? Kind.UPDATE
                        : same(fields, strStart, strLen, DISABLE) ? Kind.DISABLE : Kind.OTHER;
                case 8 -> {
                    if (t != 'g') {
                        return Kind.OTHER;
                    }
                    sigStart = strStart;
                    sigLen = strLen;
                }
                default -> {
                    // DESTINATION, SENDER and the like do not matter on this peer-to-peer link
                }
            }
        }
        if (!path || !iface || member == null) {
            return Kind.OTHER;
        }
        boolean sigOk = switch (member) {
            case SCANOUT -> sigStart >= 0 && same(fields, sigStart, sigLen, SIG_SCANOUT);
            case UPDATE -> sigStart >= 0 && same(fields, sigStart, sigLen, SIG_UPDATE);
            case DISABLE -> sigStart < 0 || sigLen == 0;
            case OTHER -> false;
        };
        return sigOk ? member : Kind.OTHER;
    }

    private static boolean same(byte[] b, int at, int len, byte[] want) {
        if (len != want.length) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if (b[at + i] != want[i]) {
                return false;
            }
        }
        return true;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** An unsigned 32-bit integer at {@code o} in the message's byte order. */
    public static long u32(byte[] b, int o, boolean big) {
        return big
                ? (b[o] & 0xffL) << 24 | (b[o + 1] & 0xffL) << 16 | (b[o + 2] & 0xffL) << 8 | (b[o + 3] & 0xffL)
                : (b[o + 3] & 0xffL) << 24 | (b[o + 2] & 0xffL) << 16 | (b[o + 1] & 0xffL) << 8 | (b[o] & 0xffL);
    }
}
