package org.qemu.helpers.tpmstub.engine;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;

import javax.crypto.KeyAgreement;

/**
 * RSA-2048 and NIST P-256 key generation from a byte source (the RNG for ordinary objects, a KDFa
 * stream from the hierarchy seed for primary objects, so the same seed and template always give the
 * same key), and the JDK keys and signatures made from a TPM object's public and sensitive areas.
 * Only java.security is used; see {@link #eccPublic} for how the public point is obtained.
 */
final class Keys {
    private Keys() { }

    /** Where key material comes from. */
    interface ByteSource {
        void fill(byte[] out);
    }

    static final BigInteger E = BigInteger.valueOf(PublicArea.DEFAULT_EXPONENT);
    private static final ECParameterSpec P256 = p256();
    private static final BigInteger P256_P = new BigInteger(
            "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16);
    private static final BigInteger P256_B = new BigInteger(
            "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b", 16);

    private static ECParameterSpec p256() {
        try {
            AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
            ap.init(new ECGenParameterSpec("secp256r1"));
            return ap.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks secp256r1", e);
        }
    }

    /** An RSA key as the TPM keeps it: the modulus n (public unique) and the prime p (sensitive). */
    record RsaKey(byte[] modulus, byte[] prime) { }

    /** An ECC key: the public point (x, y) and the private scalar d, each 32 bytes. */
    record EccKey(byte[] x, byte[] y, byte[] d) { }

    /**
     * Two 1024-bit primes p, q with the top two bits set (so n has exactly 2048 bits) and
     * gcd(e, p-1) = gcd(e, q-1) = 1; each is the first probable prime at or after a candidate
     * drawn from {@code src} (BigInteger.nextProbablePrime: sieve, Miller-Rabin and Lucas).
     */
    static RsaKey generateRsa(ByteSource src) {
        while (true) {
            BigInteger p = prime(src);
            BigInteger q = prime(src);
            if (p.equals(q)) {
                continue;
            }
            BigInteger n = p.multiply(q);
            if (n.bitLength() != PublicArea.RSA_BITS) {
                continue;
            }
            return new RsaKey(unsigned(n, 256), unsigned(p, 128));
        }
    }

    private static BigInteger prime(ByteSource src) {
        byte[] b = new byte[PublicArea.RSA_BITS / 16];
        while (true) {
            src.fill(b);
            b[0] |= (byte) 0xC0;
            b[b.length - 1] |= 1;
            BigInteger p = new BigInteger(1, b).nextProbablePrime();
            if (p.bitLength() == PublicArea.RSA_BITS / 2 && p.subtract(BigInteger.ONE).gcd(E).equals(BigInteger.ONE)) {
                return p;
            }
        }
    }

    /** A P-256 key: d = c mod n for 40 bytes c from {@code src} (drawn again in the rare case d = 0). */
    static EccKey generateEcc(ByteSource src) {
        byte[] c = new byte[SEED_BYTES];
        BigInteger d;
        do {
            src.fill(c);
            d = new BigInteger(1, c).mod(P256.getOrder());
        } while (d.signum() == 0);
        ECPoint q = eccPublic(d);
        return new EccKey(unsigned(q.getAffineX(), 32), unsigned(q.getAffineY(), 32), unsigned(d, 32));
    }

    /** Bytes the JDK's EC key pair generator draws for a P-256 scalar (SunEC: order bytes + 8). */
    private static final int SEED_BYTES = PublicArea.ECC_BYTES + 8;

    /**
     * Q = d*G. java.security has no point multiplication; its EC key pair generator does a fast
     * fixed-base one on a scalar it derives from random bytes (SunEC: 40 bytes c read little-endian,
     * d = c mod n).
     * Given c = d it makes the pair of d; the result is used only if its private scalar is d,
     * otherwise (another provider or JDK) {@link #eccPublicSlow} computes the point.
     */
    static ECPoint eccPublic(BigInteger d) {
        try {
            byte[] c = unsigned(d, SEED_BYTES);
            for (int i = 0; i < c.length / 2; i++) { // SunEC reads the seed little-endian
                byte t = c[i];
                c[i] = c[c.length - 1 - i];
                c[c.length - 1 - i] = t;
            }
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(P256, new java.security.SecureRandom() {
                private boolean given;

                @Override
                public void nextBytes(byte[] bytes) {
                    if (given || bytes.length != c.length) {
                        java.util.Arrays.fill(bytes, (byte) 0); // unexpected draw: the check below fails
                        return;
                    }
                    System.arraycopy(c, 0, bytes, 0, c.length);
                    given = true;
                }
            });
            java.security.KeyPair kp = g.generateKeyPair();
            if (kp.getPrivate() instanceof java.security.interfaces.ECPrivateKey priv && priv.getS().equals(d)
                    && kp.getPublic() instanceof java.security.interfaces.ECPublicKey pub) {
                return pub.getW();
            }
        } catch (GeneralSecurityException e) {
            // fall through to the slow way
        }
        return eccPublicSlow(d);
    }

    /**
     * Q = d*G without relying on how the generator draws its scalar: ECDH(d, G) is the x coordinate of
     * d*G; y is one of the two square roots of x^3 - 3x + b (p = 3 mod 4), and the right one is the one
     * that verifies a signature made with d.
     */
    static ECPoint eccPublicSlow(BigInteger d) {
        try {
            KeyFactory kf = KeyFactory.getInstance("EC");
            PrivateKey priv = kf.generatePrivate(new ECPrivateKeySpec(d, P256));
            KeyAgreement ka = KeyAgreement.getInstance("ECDH");
            ka.init(priv);
            ka.doPhase(kf.generatePublic(new ECPublicKeySpec(P256.getGenerator(), P256)), true);
            BigInteger x = new BigInteger(1, ka.generateSecret());
            BigInteger rhs = x.pow(3).subtract(x.multiply(BigInteger.valueOf(3))).add(P256_B).mod(P256_P);
            BigInteger y = rhs.modPow(P256_P.add(BigInteger.ONE).shiftRight(2), P256_P);
            byte[] probe = {0x54, 0x50, 0x4d};
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(priv);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance("SHA256withECDSA");
            v.initVerify(kf.generatePublic(new ECPublicKeySpec(new ECPoint(x, y), P256)));
            v.update(probe);
            return new ECPoint(x, v.verify(sig) ? y : P256_P.subtract(y));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("P-256", e);
        }
    }

    /** True if (x, y) is d*G: a loaded ECC sensitive area must match its public area. */
    static boolean eccMatches(byte[] x, byte[] y, byte[] d) {
        BigInteger dd = new BigInteger(1, d);
        if (dd.signum() == 0 || dd.compareTo(P256.getOrder()) >= 0) {
            return false;
        }
        ECPoint q = eccPublic(dd);
        return q.getAffineX().equals(new BigInteger(1, x)) && q.getAffineY().equals(new BigInteger(1, y));
    }

    /** True if p is a proper factor of n (a loaded RSA sensitive area must match its public area). */
    static boolean rsaMatches(byte[] modulus, byte[] prime) {
        BigInteger n = new BigInteger(1, modulus);
        BigInteger p = new BigInteger(1, prime);
        return p.compareTo(BigInteger.ONE) > 0 && p.compareTo(n) < 0 && n.mod(p).signum() == 0;
    }

    static PrivateKey rsaPrivate(byte[] modulus, byte[] prime) {
        BigInteger n = new BigInteger(1, modulus);
        BigInteger p = new BigInteger(1, prime);
        BigInteger q = n.divide(p);
        BigInteger phi = p.subtract(BigInteger.ONE).multiply(q.subtract(BigInteger.ONE));
        BigInteger d = E.modInverse(phi);
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new RSAPrivateCrtKeySpec(n, E, d, p, q,
                    d.mod(p.subtract(BigInteger.ONE)), d.mod(q.subtract(BigInteger.ONE)), q.modInverse(p)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA", e);
        }
    }

    static PublicKey rsaPublic(byte[] modulus) {
        try {
            return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(new BigInteger(1, modulus), E));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA", e);
        }
    }

    /** The JDK public key of a P-256 point, or null if (x, y) is not on the curve (Part 1 C.2). */
    static PublicKey eccPublicKey(byte[] x, byte[] y) {
        BigInteger bx = new BigInteger(1, x);
        BigInteger by = new BigInteger(1, y);
        if (bx.compareTo(P256_P) >= 0 || by.compareTo(P256_P) >= 0 || !by.pow(2).mod(P256_P).equals(
                bx.pow(3).subtract(bx.multiply(BigInteger.valueOf(3))).add(P256_B).mod(P256_P))) {
            return null;
        }
        try {
            return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(bx, by), P256));
        } catch (GeneralSecurityException e) {
            return null;
        }
    }

    static PrivateKey eccPrivate(byte[] d) {
        try {
            return KeyFactory.getInstance("EC").generatePrivate(new ECPrivateKeySpec(new BigInteger(1, d), P256));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("P-256", e);
        }
    }

    /** DER DigestInfo prefixes (RFC 8017 9.2 note 1) that RSASSA-PKCS1-v1_5 puts before the digest. */
    private static byte[] digestInfo(HashAlg hash) {
        return java.util.HexFormat.of().parseHex(switch (hash) {
            case SHA1 -> "3021300906052b0e03021a05000414";
            case SHA256 -> "3031300d060960864801650304020105000420";
            case SHA384 -> "3041300d060960864801650304020205000430";
            case SHA512 -> "3051300d060960864801650304020305000440";
        });
    }

    /** The DER DigestInfo of a {@code hash} digest: what RSASSA-PKCS1-v1_5 signs (RFC 8017 9.2). */
    static byte[] digestInfo(HashAlg hash, byte[] digest) {
        byte[] prefix = digestInfo(hash);
        byte[] t = java.util.Arrays.copyOf(prefix, prefix.length + digest.length);
        System.arraycopy(digest, 0, t, prefix.length, digest.length);
        return t;
    }

    /** RSASSA-PKCS1-v1_5 (Part 1 B.7) of a {@code hash} digest: the signature bytes. */
    static byte[] signRsassa(PrivateKey key, HashAlg hash, byte[] digest) {
        byte[] prefix = digestInfo(hash);
        byte[] t = java.util.Arrays.copyOf(prefix, prefix.length + digest.length);
        System.arraycopy(digest, 0, t, prefix.length, digest.length);
        return sign(key, "NONEwithRSA", t);
    }

    /** ECDSA (Part 1 C.4) of a digest: r and s, each 32 bytes. */
    static byte[][] signEcdsa(PrivateKey key, byte[] digest) {
        byte[] rs = sign(key, "NONEwithECDSAinP1363Format", digest);
        return new byte[][] {Arrays.copyOf(rs, rs.length / 2), Arrays.copyOfRange(rs, rs.length / 2, rs.length)};
    }

    private static byte[] sign(PrivateKey key, String alg, byte[] message) {
        try {
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(alg, e);
        }
    }


    /**
     * RSAES-OAEP decryption (Part 1 B.10.3: the label includes its terminating zero), or null if
     * the ciphertext does not decrypt.
     */
    static byte[] rsaOaepDecrypt(PrivateKey key, HashAlg hash, String label, byte[] ciphertext) {
        try {
            javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("RSA/ECB/OAEPPadding");
            String md = hash.newDigest().getAlgorithm();
            byte[] l = (label + "\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            c.init(javax.crypto.Cipher.DECRYPT_MODE, key, new javax.crypto.spec.OAEPParameterSpec(md, "MGF1",
                    new java.security.spec.MGF1ParameterSpec(md), new javax.crypto.spec.PSource.PSpecified(l)));
            return c.doFinal(ciphertext);
        } catch (GeneralSecurityException e) {
            return null;
        }
    }

    /** Z = x(d * Q) for the private key d and a peer point Q (ECDH), or null if Q is not on P-256. */
    static byte[] ecdhX(PrivateKey key, byte[] x, byte[] y) {
        try {
            PublicKey q = KeyFactory.getInstance("EC").generatePublic(
                    new ECPublicKeySpec(new ECPoint(new BigInteger(1, x), new BigInteger(1, y)), P256));
            KeyAgreement ka = KeyAgreement.getInstance("ECDH");
            ka.init(key);
            ka.doPhase(q, true);
            return ka.generateSecret();
        } catch (GeneralSecurityException | IllegalArgumentException | IllegalStateException e) {
            return null;
        }
    }

    /** v as exactly {@code len} big-endian bytes. */
    static byte[] unsigned(BigInteger v, int len) {
        byte[] b = v.toByteArray();
        if (b.length == len) {
            return b;
        }
        byte[] out = new byte[len];
        if (b.length > len) {
            System.arraycopy(b, b.length - len, out, 0, len);
        } else {
            System.arraycopy(b, 0, out, len - b.length, b.length);
        }
        return out;
    }
}
