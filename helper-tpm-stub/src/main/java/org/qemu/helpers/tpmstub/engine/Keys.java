package org.qemu.helpers.tpmstub.engine;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.crypto.KeyAgreement;

import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

/**
 * RSA-2048 and NIST P-256 key generation from a byte source (the RNG for ordinary objects, a KDFa
 * stream from the hierarchy seed for primary objects, so the same seed and template always give the
 * same key), and the JDK keys and signatures made from a TPM object's public and sensitive areas.
 * java.security throughout, but for P-256 d*G and ECDSA signing (Bouncy Castle: see {@link #BC_P256}).
 */
final class Keys {
    private Keys() { }

    /** Where key material comes from. */
    interface ByteSource {
        void fill(byte[] out);
    }

    static final BigInteger E = BigInteger.valueOf(PublicArea.DEFAULT_EXPONENT);
    private static final ECParameterSpec P256 = p256();

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
     * gcd(e, p-1) = gcd(e, q-1) = 1: candidate i is the i-th 128-byte draw from {@code src} with
     * those bits set, its prime the first prime above it (the one BigInteger.nextProbablePrime gives,
     * found by {@link PrimeSearch}); p is the first fitting prime, q the next one. Nearly always
     * candidates 0 and 1 give p and q, so candidate 1's prime is searched on a second thread while
     * this one searches candidate 0's: the same key as one after the other, in about half the time
     * when a second core is free.
     */
    static RsaKey generateRsa(ByteSource src) {
        Candidates c = new Candidates(src);
        BigInteger second = c.candidate(1);
        Future<BigInteger> secondPrime = SECOND_PRIME.submit(() -> PrimeSearch.nextPrime(second));
        try {
            int i = 0;
            while (true) {
                BigInteger p;
                do {
                    p = i == 1 ? join(secondPrime) : PrimeSearch.nextPrime(c.candidate(i));
                    i++;
                } while (!fits(p));
                BigInteger q;
                do {
                    q = i == 1 ? join(secondPrime) : PrimeSearch.nextPrime(c.candidate(i));
                    i++;
                } while (!fits(q));
                if (p.equals(q)) {
                    continue;
                }
                BigInteger n = p.multiply(q);
                if (n.bitLength() != PublicArea.RSA_BITS) {
                    continue;
                }
                return new RsaKey(unsigned(n, 256), unsigned(p, 128));
            }
        } finally {
            secondPrime.cancel(true);
        }
    }

    /** The thread that searches the second candidate's prime (daemon: it never holds up an exit). */
    private static final ExecutorService SECOND_PRIME = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tpm-prime-search");
        t.setDaemon(true);
        return t;
    });

    private static BigInteger join(Future<BigInteger> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the RSA prime search", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("RSA prime search", e.getCause());
        }
    }

    private static boolean fits(BigInteger p) {
        return p.bitLength() == PublicArea.RSA_BITS / 2 && p.subtract(BigInteger.ONE).gcd(E).equals(BigInteger.ONE);
    }

    /** The prime candidates, drawn from the stream in order as they are first asked for. */
    private static final class Candidates {
        private final ByteSource src;
        private final java.util.List<BigInteger> drawn = new java.util.ArrayList<>();

        Candidates(ByteSource src) {
            this.src = src;
        }

        BigInteger candidate(int i) {
            while (drawn.size() <= i) {
                byte[] b = new byte[PublicArea.RSA_BITS / 16];
                src.fill(b);
                b[0] |= (byte) 0xC0;
                b[b.length - 1] |= 1;
                drawn.add(new BigInteger(1, b));
            }
            return drawn.get(i);
        }
    }

    /**
     * A P-256 key: d = c mod n for 40 bytes c from {@code src} (64 bits more than the order, as FIPS
     * 186-5 A.2.1 "extra random bits"; drawn again in the rare case d = 0).
     */
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

    /** Bytes drawn for a P-256 scalar: the order's 32 bytes + 8. */
    private static final int SEED_BYTES = PublicArea.ECC_BYTES + 8;

    /**
     * P-256 as Bouncy Castle's lightweight API has it (its specialised field arithmetic). Used for
     * d*G and ECDSA only: java.security has no public point multiplication, and SunEC's private one
     * (JDK 17: a 4-bit window, no precomputed table) took most of a CreatePrimary ECC and of an
     * ECDSA Quote; BC's fixed-base comb (table built once for G) is about ten times faster.
     */
    private static final ECDomainParameters BC_P256 = new ECDomainParameters(CustomNamedCurves.getByName("secp256r1"));
    private static final FixedPointCombMultiplier COMB = new FixedPointCombMultiplier();
    /** ECDSA nonces (random k, as libtpms and the JDK's Signature). */
    private static final SecureRandom NONCES = new SecureRandom();

    /** Q = d*G on P-256 (0 < d < n). */
    static ECPoint eccPublic(BigInteger d) {
        org.bouncycastle.math.ec.ECPoint q = COMB.multiply(BC_P256.getG(), d).normalize();
        return new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
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

    /**
     * The JDK public key of an RSA modulus, or null if the JDK refuses it: a loaded public area's
     * modulus has the right size but may be any number (the JDK wants at least 512 significant bits).
     */
    static PublicKey rsaPublic(byte[] modulus) {
        try {
            return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(new BigInteger(1, modulus), E));
        } catch (GeneralSecurityException e) {
            return null;
        }
    }

    /** The JDK public key of a P-256 point, or null if (x, y) is not on the curve (Part 1 C.2). */
    static PublicKey eccPublicKey(byte[] x, byte[] y) {
        BigInteger bx = new BigInteger(1, x);
        BigInteger by = new BigInteger(1, y);
        try {
            BC_P256.getCurve().validatePoint(bx, by); // coordinates below p and y^2 = x^3 - 3x + b
        } catch (IllegalArgumentException e) {
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

    /**
     * ECDSA (Part 1 C.4) of a digest with a random nonce: r and s, each 32 bytes. A digest longer than
     * the order is cut to its leftmost 256 bits (SEC 1 4.1.3 step 5, as libtpms and the JDK do).
     */
    static byte[][] signEcdsa(PrivateKey key, byte[] digest) {
        ECDSASigner signer = new ECDSASigner();
        signer.init(true, new ParametersWithRandom(
                new ECPrivateKeyParameters(((ECPrivateKey) key).getS(), BC_P256), NONCES));
        BigInteger[] rs = signer.generateSignature(digest);
        return new byte[][] {unsigned(rs[0], PublicArea.ECC_BYTES), unsigned(rs[1], PublicArea.ECC_BYTES)};
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
            return rsaOaep(javax.crypto.Cipher.DECRYPT_MODE, key, hash, label, ciphertext);
        } catch (GeneralSecurityException e) {
            return null;
        }
    }

    /**
     * RSAES-OAEP encryption with the label as {@link #rsaOaepDecrypt} takes it (the padding's seed is
     * random), or null if the key cannot take it (a loaded public modulus that is no usable RSA key).
     */
    static byte[] rsaOaepEncrypt(PublicKey key, HashAlg hash, String label, byte[] message) {
        try {
            return rsaOaep(javax.crypto.Cipher.ENCRYPT_MODE, key, hash, label, message);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    private static byte[] rsaOaep(int mode, java.security.Key key, HashAlg hash, String label, byte[] in)
            throws GeneralSecurityException {
        javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("RSA/ECB/OAEPPadding");
        String md = hash.newDigest().getAlgorithm();
        byte[] l = (label + "\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        c.init(mode, key, new javax.crypto.spec.OAEPParameterSpec(md, "MGF1",
                new java.security.spec.MGF1ParameterSpec(md), new javax.crypto.spec.PSource.PSpecified(l)));
        return c.doFinal(in);
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
