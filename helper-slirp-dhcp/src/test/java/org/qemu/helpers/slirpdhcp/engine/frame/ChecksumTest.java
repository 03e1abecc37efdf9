package org.qemu.helpers.slirpdhcp.engine.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The word-at-a-time sum equals RFC 1071's 16-bit definition for every length, offset and initial value. */
class ChecksumTest {
    private static int reference(byte[] b, int off, int len, int initial) {
        long s = initial & 0xffffffffL;
        for (int i = 0; i + 1 < len; i += 2) {
            s += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            s += (b[off + len - 1] & 0xff) << 8;
        }
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    @Test
    void matchesTheSixteenBitDefinition() {
        Random r = new Random(1071);
        for (int n = 0; n < 20_000; n++) {
            byte[] b = new byte[1 + r.nextInt(r.nextBoolean() ? 70 : 3000)];
            r.nextBytes(b);
            if (r.nextInt(4) == 0) {
                java.util.Arrays.fill(b, (byte) 0xff);
            }
            int off = r.nextInt(b.length);
            int len = r.nextInt(b.length - off + 1);
            int init = r.nextInt(0x10000);
            assertEquals(reference(b, off, len, init), Checksum.sum(b, off, len, init), "len " + len + " off " + off);
        }
    }
}
