package org.qemu.helpers.tpmstub.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.util.HexFormat;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The prime search's sieve (Montgomery residues by groups of primes below 2^20) marks exactly the
 * numbers with a factor below its bound, it finds nextProbablePrime's prime for any candidate size,
 * and RSA keys derived from byte streams and from hierarchy seeds are the ones the release before it
 * (main de570e3: the 32-bit long-division sieve by the primes below 2^16) made: a primary key
 * derived from an unchanged seed never changes.
 */
class PrimeSearchTest {
    private static final HexFormat HEX = HexFormat.of();

    /** SHA-256(modulus || prime) of generateRsa(new Random(100 + i)::nextBytes), printed by de570e3. */
    private static final String[] RANDOM_STREAM_KEYS = {
        "96ea8f689c78594e1c87868a25664f8a99df0f22913f7f009a04490f04340235",
        "aadf055f9f65751a34e63cf79b123d321bea23d3d1127ae84393212aaf2c033a",
        "c002982d098ff7c64a7d3d26e3e6759fb4454406caeb817f16444fa76d0c9d93",
        "a226567bf1e40073df449a90a7a3e08fc0d99921c9df1070bb724de517bb4660",
        "d164cd8dd0f63a26301bf419351f314e0212f4028e6b539a32e8ca8d5a3a9f3e",
        "f8e81835a872fc6430d311207c3d587298a5760104a545a55e87326cb5458868",
        "48374bde80c84b03df1f8ace8fba41b2592611aeefd0abb66b0f2ebf08290fc4",
        "df50e95b33af541edd54afe7bc593cc530b178b6feb56485cf680254aef17be4",
        "f68a17ba5831c015df8d87d7050e2e0a5840b5548fe496881b183ac3e4f34533",
        "3a9a970ffee3736561d248d17f501e6132d59c9419621960a437439faf15670e",
        "dd772b71cbd20b7a370e62ee3e5c846e65c0b3702b5b18770b20ecf6600aabf2",
        "efe4a6979afbb9e3e0472d68f503d8b8114c17618b4802f9d640e1145bf624ab",
        "7ba68bead4c3f7e2c1fc77be88add4fa6bb2d433f0bb57f1eacd7ebb7c6b1f1c",
        "73962a9d618ae9b1e619336a45a28250c7ebe1589aa8b8fee9639a4426eb2e51",
        "c6b972dffff7007dc6a2b30f8b464186af3523553617acffbeae8ffad5be7c85",
        "69f764f2b83c73ee7ef352c0c659b651aad7976055e5906102d55521cd29d202",
    };

    /**
     * SHA-256(modulus || prime) of the primary key of tpm2-tools' RSA SRK template under the seed
     * SHA-512(i) (ObjectCreation.primaryStream: KDFa "Primary Object Creation"), printed by de570e3.
     */
    private static final String[] SEED_KEYS = {
        "6245be7901ebe4a9c1d805ada3a347f6d84801035cd9730324412d17f4d588b1",
        "e9d9efb2ad9ab4230b7f712c5621c92f315c730179c1e3465a9e3ebbe4b37932",
        "7c516ac614daf706884e62dd903b0cab549608305f42c16b2de2818d31b402e4",
        "934caa3d67cf63af33a992a7fcd4f5d0104e2d156b8ae26227ca6c0eee95b216",
        "2b54ab5f6ff5026c9415738e860de4fd68c3b3a83eaadecddeb647f1c2b519f1",
        "efcecb823b5ec432bde7a2e84fd2d111607827c072fbb96ed83c10264c52a34c",
        "c9daf4ba5eff40a4bce78ed7106dda3718900c45bec4bf98e8c00cab7be8dc00",
        "e327e84ef2002d84124dc40d8a90aa57585fa68281c76786f045a678a2b9b468",
    };

    @Test
    void rsaKeysFromByteStreamsAreThoseOfTheReleaseBefore() {
        for (int i = 0; i < RANDOM_STREAM_KEYS.length; i++) {
            Random r = new Random(100 + i);
            assertEquals(RANDOM_STREAM_KEYS[i], digest(Keys.generateRsa(r::nextBytes)), "stream " + (100 + i));
        }
    }

    @Test
    void primaryRsaKeysFromSeedsAreThoseOfTheReleaseBefore() throws TpmFormatException {
        byte[] t = HEX.parseHex("0001 000b 00030072 0000 0006 0080 0043 0010 0800 00000000 0000".replace(" ", ""));
        PublicArea srk = PublicArea.read(new TpmReader(t, 0, t.length));
        for (int s = 0; s < SEED_KEYS.length; s++) {
            byte[] seed = Crypto.hash(HashAlg.SHA512, new byte[] {(byte) s});
            assertEquals(SEED_KEYS[s], digest(Keys.generateRsa(ObjectCreation.primaryStream(seed, srk, new byte[0]))),
                    "seed " + s);
        }
    }

    @Test
    void theSieveMarksExactlyTheNumbersWithASmallFactor() {
        BigInteger smallPrimes = BigInteger.ONE;
        for (int p = 3; p < PrimeSearch.SIEVE_BOUND; p += 2) {
            if (BigInteger.valueOf(p).isProbablePrime(30)) {
                smallPrimes = smallPrimes.multiply(BigInteger.valueOf(p));
            }
        }
        Random rnd = new Random(20);
        for (int bits : new int[] {1024, 1024, 640}) { // 640: the slower path for other sizes
            BigInteger base = new BigInteger(bits, rnd).setBit(bits - 1).setBit(0);
            boolean[] composite = PrimeSearch.sieveWindow(base);
            for (int i = 0; i < composite.length; i += 29) { // every 29th: each gcd divides the 1.5 Mbit product
                BigInteger n = base.add(BigInteger.valueOf(2L * i));
                boolean hasSmallFactor = !smallPrimes.gcd(n).equals(BigInteger.ONE);
                assertEquals(hasSmallFactor, composite[i], bits + "-bit base " + base.toString(16) + " + " + 2 * i);
            }
        }
    }

    @Test
    void itFindsNextProbablePrimesPrimeForAnySize() {
        Random rnd = new Random(4096);
        for (int bits : new int[] {1024, 1024, 1024, 1024, 1025, 1088, 768, 520}) {
            BigInteger c = new BigInteger(bits, rnd).setBit(bits - 1).setBit(0);
            assertEquals(c.nextProbablePrime(), PrimeSearch.nextPrime(c), bits + "-bit candidate " + c.toString(16));
        }
        BigInteger top = BigInteger.ONE.shiftLeft(1024).subtract(BigInteger.valueOf(3)); // 2^1024 - 3: the search leaves 16 limbs
        assertEquals(top.nextProbablePrime(), PrimeSearch.nextPrime(top));
    }

    private static String digest(Keys.RsaKey k) {
        return HEX.formatHex(Crypto.hash(HashAlg.SHA256, k.modulus(), k.prime()));
    }
}
