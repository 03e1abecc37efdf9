package org.qemu.helpers.tpmstub.engine;

import java.security.GeneralSecurityException;

import javax.crypto.Mac;
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

    /** HMAC over the concatenation of {@code parts} (RFC 2104). */
    static byte[] hmac(HashAlg alg, byte[] key, byte[]... parts) {
        try {
            String name = hmacName(alg);
            Mac mac = Mac.getInstance(name);
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
}
