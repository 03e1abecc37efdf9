package org.qemu.helpers.common.vmstate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VMStateFrameTest {
    static final byte[] PAYLOAD = "leases and records".getBytes();

    @Test
    void roundTripKeepsPayloadAndVersion() throws Exception {
        byte[] blob = VMStateFrame.wrap("slirp-dhcp", 3, PAYLOAD);
        VMStateFrame.Payload p = VMStateFrame.unwrap("slirp-dhcp", blob);
        assertEquals(3, p.version());
        assertArrayEquals(PAYLOAD, p.bytes());
    }

    @Test
    void everyTruncationIsRefused() throws Exception {
        byte[] blob = VMStateFrame.wrap("id", 1, PAYLOAD);
        for (int n = 0; n < blob.length; n++) {
            byte[] cut = Arrays.copyOf(blob, n);
            assertThrows(InvalidStateException.class, () -> VMStateFrame.unwrap("id", cut), "length " + n);
        }
    }

    @Test
    void everySingleBitFlipIsRefused() throws Exception {
        byte[] blob = VMStateFrame.wrap("id", 1, PAYLOAD);
        for (int i = 0; i < blob.length * 8; i++) {
            byte[] bad = blob.clone();
            bad[i / 8] ^= (byte) (1 << (i % 8));
            assertThrows(InvalidStateException.class, () -> VMStateFrame.unwrap("id", bad), "bit " + i);
        }
    }

    @Test
    void oversizedIsRefusedOnSaveAndOnLoad() {
        byte[] big = new byte[VMStateFrame.MAX_BYTES];
        InvalidStateException save = assertThrows(InvalidStateException.class, () -> VMStateFrame.wrap("id", 1, big));
        assertTrue(save.getMessage().contains("1 MiB"), save.getMessage());
        byte[] huge = new byte[VMStateFrame.MAX_BYTES + 1];
        assertTrue(assertThrows(InvalidStateException.class, () -> VMStateFrame.unwrap("id", huge))
                .getMessage().contains("1 MiB"));
    }

    @Test
    void anotherHelpersBlobAndAnotherFrameVersionAreRefused() throws Exception {
        byte[] blob = VMStateFrame.wrap("tpm-stub", 1, PAYLOAD);
        assertTrue(assertThrows(InvalidStateException.class, () -> VMStateFrame.unwrap("slirp-dhcp", blob))
                .getMessage().contains("belongs to Id 'tpm-stub'"));
        byte[] v2 = blob.clone();
        v2[4] = 2;
        assertTrue(assertThrows(InvalidStateException.class, () -> VMStateFrame.unwrap("tpm-stub", v2))
                .getMessage().contains("frame version 2"));
    }

    @Test
    void randomGarbageNeverEscapesAsAnythingButInvalidState() {
        long seed = Long.getLong("seed", 20261126L);
        Random r = new Random(seed);
        for (int i = 0; i < 20000; i++) {
            byte[] b = new byte[r.nextInt(64)];
            r.nextBytes(b);
            if (b.length > 4 && r.nextBoolean()) {
                System.arraycopy(VMStateFrame.MAGIC, 0, b, 0, 4);
                b[4] = 1;
            }
            try {
                VMStateFrame.unwrap("id", b);
            } catch (InvalidStateException expected) {
                continue;
            } catch (RuntimeException e) {
                throw new AssertionError("seed " + seed + " iteration " + i + ": " + e, e);
            }
        }
    }
}
