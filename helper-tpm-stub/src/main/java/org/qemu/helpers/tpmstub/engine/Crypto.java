package org.qemu.helpers.tpmstub.engine;

import java.security.GeneralSecurityException;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** The JDK's primitives as the TPM uses them (java.security / javax.crypto only). */
final class Crypto {
    private Crypto() { }

    static String hmacName(HashAlg alg) {
        return switch (alg) {
            case SHA1 -> "HmacSHA1";
            case SHA256 -> "HmacSHA256";
            case SHA384 -> "HmacSHA384";
            case SHA512 -> "HmacSHA512";
        };
    }

    /**
     * One Mac per algorithm and one AES-CFB Cipher per thread, initialised anew for each use: the
     * provider look-up of Mac/Cipher.getInstance was a quarter of a ContextSave + ContextLoad (JFR).
     */
    private static final ThreadLocal<Mac[]> MACS = ThreadLocal.withInitial(() -> new Mac[HashAlg.values().length]);
    private static final ThreadLocal<Cipher> AES_CFB = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/CFB/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CFB", e);
        }
    });

    private static Mac mac(HashAlg alg) throws GeneralSecurityException {
        Mac[] macs = MACS.get();
        Mac m = macs[alg.ordinal()];
        if (m == null) {
            m = Mac.getInstance(hmacName(alg));
            macs[alg.ordinal()] = m;
        }
        return m;
    }

    /** HMAC over the concatenation of {@code parts} (RFC 2104). */
    static byte[] hmac(HashAlg alg, byte[] key, byte[]... parts) {
        try {
            String name = hmacName(alg);
            Mac mac = mac(alg);
            // an empty HMAC key is legal (Part 1 19.6.6) but JCE refuses empty keys: HMAC pads keys with
            // zeros to the block size, so a single zero byte is the same key
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, name));
            for (byte[] p : parts) {
                mac.update(p);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC " + alg, e);
        }
    }

    /** The digest of the concatenation of {@code parts}. */
    static byte[] hash(HashAlg alg, byte[]... parts) {
        java.security.MessageDigest md = alg.digest();
        for (byte[] p : parts) {
            md.update(p);
        }
        return md.digest();
    }

    /**
     * KDFa (Part 1 11.4.10.2, SP800-108 counter mode with HMAC): {@code bits} bits of
     * HMAC(key, [i]32 || label || 0x00 || contextU || contextV || [bits]32) for i = 1, 2, ...;
     * the label's terminating zero is added here. Unused high bits of the first byte are cleared.
     */
    static byte[] kdfa(HashAlg alg, byte[] key, String label, byte[] contextU, byte[] contextV, int bits) {
        int bytes = (bits + 7) / 8;
        byte[] out = new byte[bytes];
        byte[] u = contextU == null ? new byte[0] : contextU;
        byte[] v = contextV == null ? new byte[0] : contextV;
        int off = 0;
        for (int i = 1; off < bytes; i++) {
            byte[] k = kdfaBlock(alg, key, i, label, u, v, bits);
            int n = Math.min(k.length, bytes - off);
            System.arraycopy(k, 0, out, off, n);
            off += n;
        }
        if (bits % 8 != 0) {
            out[0] &= (byte) ((1 << (bits % 8)) - 1);
        }
        return out;
    }

    /**
     * KDFe (Part 1 11.4.10.3, SP800-56A concatenation KDF): {@code bits} bits of
     * H([i]32 || Z || label || 0x00 || partyU || partyV) for i = 1, 2, ...
     */
    static byte[] kdfe(HashAlg alg, byte[] z, String label, byte[] partyU, byte[] partyV, int bits) {
        byte[] l = label.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] labelZ = java.util.Arrays.copyOf(l, l.length + 1);
        int bytes = (bits + 7) / 8;
        byte[] out = new byte[bytes];
        int off = 0;
        for (int i = 1; off < bytes; i++) {
            byte[] k = hash(alg, Params.u32Bytes(i), z, labelZ, partyU, partyV);
            int n = Math.min(k.length, bytes - off);
            System.arraycopy(k, 0, out, off, n);
            off += n;
        }
        return out;
    }

    /** Iteration {@code i} (1-based) of KDFa, for callers that draw its output as a stream. */
    static byte[] kdfaBlock(HashAlg alg, byte[] key, long i, String label, byte[] contextU, byte[] contextV, int bits) {
        byte[] l = label.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        return hmac(alg, key, Params.u32Bytes(i), java.util.Arrays.copyOf(l, l.length + 1), contextU, contextV,
                Params.u32Bytes(bits));
    }

    /** AES in CFB mode with a full-block feedback (Part 1 11.4.6.3 CFB, as TPM parameter and storage encryption). */
    static byte[] aesCfb(boolean encrypt, byte[] key, byte[] iv, byte[] data) {
        try {
            Cipher c = AES_CFB.get();
            c.init(encrypt ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
                    new IvParameterSpec(iv));
            return c.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CFB", e);
        }
    }
}
