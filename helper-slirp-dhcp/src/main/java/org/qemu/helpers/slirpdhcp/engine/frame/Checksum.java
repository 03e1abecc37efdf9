package org.qemu.helpers.slirpdhcp.engine.frame;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/** The Internet checksum (RFC 1071), with the IPv4 pseudo-header for UDP (RFC 768). */
public final class Checksum {
    private Checksum() {
    }

    private static final VarHandle BE_INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    /**
     * The one's complement sum of {@code len} bytes as 16-bit big-endian words (RFC 1071 4.1), folded to 16 bits.
     * Adds 32-bit words into a 64-bit accumulator and folds once at the end (RFC 1071 2(C): the sum is
     * independent of the word size used to add), four times fewer steps than 16-bit words.
     */
    public static int sum(byte[] b, int off, int len, int initial) {
        long s = initial & 0xffffffffL;
        int i = off;
        int end = off + len;
        for (; i + 4 <= end; i += 4) {
            s += Integer.toUnsignedLong((int) BE_INT.get(b, i));
        }
        if (i + 2 <= end) {
            s += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
            i += 2;
        }
        if (i < end) {
            s += (b[i] & 0xff) << 8;
        }
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    /** The checksum field value: one's complement of the folded sum. */
    public static int finish(int sum) {
        return ~sum & 0xffff;
    }

    public static int ipHeader(byte[] b, int off, int len) {
        return finish(sum(b, off, len, 0));
    }

    /** The partial sum of the UDP pseudo-header: source, destination, protocol 17, UDP length. */
    public static int pseudo(int src, int dst, int proto, int length) {
        long s = ((src >>> 16) & 0xffff) + (src & 0xffff) + ((dst >>> 16) & 0xffff) + (dst & 0xffff) + proto + length;
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }
}
