package org.qemu.helpers.tpmstub.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The JDK-only key pieces: the fast and the slow way to d*G agree; keys match their private parts. */
class KeysTest {
    @Test
    void theGeneratorShortcutGivesTheSamePointAsEcdh() {
        Random rnd = new Random(256);
        for (int i = 0; i < 20; i++) {
            BigInteger d = new BigInteger(256, rnd).mod(new BigInteger(
                    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16));
            assertEquals(Keys.eccPublicSlow(d), Keys.eccPublic(d), "d = " + d.toString(16));
        }
    }

    @Test
    void generatedKeysMatchTheirPrivatePartsAndNoOtherOnes() {
        Random rnd = new Random(2048);
        Keys.EccKey e = Keys.generateEcc(rnd::nextBytes);
        assertTrue(Keys.eccMatches(e.x(), e.y(), e.d()));
        Keys.EccKey other = Keys.generateEcc(rnd::nextBytes);
        assertFalse(Keys.eccMatches(e.x(), e.y(), other.d()));
        Keys.RsaKey r = Keys.generateRsa(rnd::nextBytes);
        assertEquals(256, r.modulus().length);
        assertEquals(2048, new BigInteger(1, r.modulus()).bitLength());
        assertTrue(Keys.rsaMatches(r.modulus(), r.prime()));
        assertFalse(Keys.rsaMatches(r.modulus(), Keys.generateRsa(rnd::nextBytes).prime()));
    }
}
