package org.qemu.helpers.tpmstub.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.util.HexFormat;
import java.util.Random;

import javax.crypto.KeyAgreement;

import org.junit.jupiter.api.Test;

/**
 * The key pieces: Bouncy Castle's d*G agrees with the JDK, ECDSA signatures verify with the JDK,
 * the prime search finds BigInteger.nextProbablePrime's prime, keys match their private parts, and
 * the derivation from a byte stream is the one every earlier release used (pinned digests).
 */
class KeysTest {
    private static final BigInteger P = new BigInteger(
            "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16);
    private static final BigInteger B = new BigInteger(
            "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b", 16);
    private static final BigInteger N = new BigInteger(
            "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16);

    @Test
    void bouncyCastlesPointIsTheJdksEcdhPoint() throws Exception {
        Random rnd = new Random(256);
        for (int i = 0; i < 20; i++) {
            BigInteger d = new BigInteger(256, rnd).mod(N);
            assertEquals(jdkPublic(d), Keys.eccPublic(d), "d = " + d.toString(16));
        }
    }

    /**
     * d*G with the JDK alone: ECDH(d, G) is its x coordinate; y is one of the two square roots of
     * x^3 - 3x + b (p = 3 mod 4), the one that verifies a JDK signature made with d.
     */
    private static ECPoint jdkPublic(BigInteger d) throws Exception {
        AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
        ap.init(new ECGenParameterSpec("secp256r1"));
        ECParameterSpec p256 = ap.getParameterSpec(ECParameterSpec.class);
        KeyFactory kf = KeyFactory.getInstance("EC");
        PrivateKey priv = kf.generatePrivate(new ECPrivateKeySpec(d, p256));
        KeyAgreement ka = KeyAgreement.getInstance("ECDH");
        ka.init(priv);
        ka.doPhase(kf.generatePublic(new ECPublicKeySpec(p256.getGenerator(), p256)), true);
        BigInteger x = new BigInteger(1, ka.generateSecret());
        BigInteger y = x.pow(3).subtract(x.multiply(BigInteger.valueOf(3))).add(B).mod(P)
                .modPow(P.add(BigInteger.ONE).shiftRight(2), P);
        byte[] probe = {0x54, 0x50, 0x4d};
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(priv);
        s.update(probe);
        byte[] sig = s.sign();
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(kf.generatePublic(new ECPublicKeySpec(new ECPoint(x, y), p256)));
        v.update(probe);
        return new ECPoint(x, v.verify(sig) ? y : P.subtract(y));
    }

    @Test
    void ecdsaSignaturesVerifyWithTheJdk() throws Exception {
        Random rnd = new Random(9);
        Keys.EccKey k = Keys.generateEcc(rnd::nextBytes);
        AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
        ap.init(new ECGenParameterSpec("secp256r1"));
        ECParameterSpec p256 = ap.getParameterSpec(ECParameterSpec.class);
        var pub = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
                new ECPoint(new BigInteger(1, k.x()), new BigInteger(1, k.y())), p256));
        for (int i = 0; i < 10; i++) {
            byte[] digest = new byte[32];
            rnd.nextBytes(digest);
            byte[][] rs = Keys.signEcdsa(Keys.eccPrivate(k.d()), digest);
            Signature v = Signature.getInstance("NONEwithECDSAinP1363Format");
            v.initVerify(pub);
            v.update(digest);
            byte[] sig = new byte[64];
            System.arraycopy(rs[0], 0, sig, 0, 32);
            System.arraycopy(rs[1], 0, sig, 32, 32);
            assertTrue(v.verify(sig));
            digest[0] ^= 1;
            v.update(digest);
            assertFalse(v.verify(sig));
        }
    }

    @Test
    void thePrimeSearchFindsNextProbablePrimesPrime() {
        Random rnd = new Random(1024);
        for (int i = 0; i < 12; i++) {
            BigInteger c = new BigInteger(1024, rnd).setBit(1023).setBit(0);
            assertEquals(c.nextProbablePrime(), PrimeSearch.nextPrime(c), "candidate " + c.toString(16));
        }
        BigInteger prime = BigInteger.ONE.shiftLeft(1023).nextProbablePrime();
        BigInteger before = prime.subtract(BigInteger.TWO);
        assertEquals(prime, PrimeSearch.nextPrime(before));
        assertTrue(PrimeSearch.nextPrime(prime).compareTo(prime) > 0, "strictly greater, as nextProbablePrime");
        assertFalse(PrimeSearch.millerRabin(prime.multiply(BigInteger.ONE.shiftLeft(511).nextProbablePrime()), 5));
    }

    /**
     * The same byte stream gives the same keys as in every earlier release (digests of modulus and
     * prime, or of x, y and d, printed by the release before PrimeSearch and Bouncy Castle): a
     * primary key derived from an unchanged seed must never change.
     */
    @Test
    void derivationIsUnchanged() {
        String[][] pinned = {
            {"5227c84984e3b3342d94787d286b4a748149e4f1fe7414437c59473ae58322cb",
             "d59595244beba825e06f89218e5130025379d1a0d8a267121f0a359809e5e396"},
            {"d13887ee510fe02637802bab9025c10f5c5fc368fa8f4f07821a415237446916",
             "651ff911225e213b53b9fbdf0f7d40512abc2956dd88a3ac495a0023817e3163"},
            {"f8e6f61bb87221e3d5e0f38ccf54f65c549bbe4ec66532b62939d193044c835f",
             "3a71fccafe0194bf712cc3bc5ad922a63c3158738a839ca76265050f1ba7d1ad"},
        };
        for (int seed = 1; seed <= 3; seed++) {
            Random r = new Random(seed);
            Keys.RsaKey k = Keys.generateRsa(r::nextBytes);
            assertEquals(pinned[seed - 1][0], HexFormat.of().formatHex(Crypto.hash(HashAlg.SHA256, k.modulus(), k.prime())));
            Keys.EccKey e = Keys.generateEcc(r::nextBytes);
            assertEquals(pinned[seed - 1][1], HexFormat.of().formatHex(Crypto.hash(HashAlg.SHA256, e.x(), e.y(), e.d())));
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
