package org.qemu.helpers.tpmstub.engine;

import java.security.MessageDigest;

/**
 * The TPM2B_PRIVATE of an object under a storage parent (Part 1, "Protected Storage": symmetric
 * encryption and integrity of the sensitive area):
 * TPM2B_SENSITIVE encrypted with AES-CFB (zero IV) under symKey = KDFa(parent.nameAlg,
 * parent.seedValue, "STORAGE", Name, -, parent.keyBits), preceded by the outer integrity
 * HMAC(KDFa(parent.nameAlg, parent.seedValue, "INTEGRITY", -, -, digest bits), encSensitive || Name).
 * Only this TPM can read it: the parent's seedValue never leaves it.
 */
final class ProtectedStorage {
    private ProtectedStorage() { }

    /** Bound of TPM2B_PRIVATE: integrity digest plus the largest TPM2B_SENSITIVE here. */
    static final int MAX_PRIVATE = 2 + Params.MAX_DIGEST + 2 + 2 + 3 * (2 + Params.MAX_DIGEST) + SensitiveArea.MAX_SECRET;

    static byte[] wrap(TpmObject parent, byte[] name, SensitiveArea s) {
        byte[] sensitive = s.marshal();
        byte[] plain = new TpmWriter(2 + sensitive.length).tpm2b(sensitive).toByteArray();
        byte[] enc = Crypto.aesCfb(true, symKey(parent, name), new byte[16], plain);
        byte[] integrity = integrity(parent, enc, name);
        return new TpmWriter(2 + integrity.length + enc.length).tpm2b(integrity).bytes(enc).toByteArray();
    }

    /**
     * The sensitive area of {@code priv}, or TPM_RC_INTEGRITY (a blob not made by this parent or
     * changed) / TPM_RC_SENSITIVE (it decrypts to something that is no TPMT_SENSITIVE) for parameter 1.
     */
    static SensitiveArea unwrap(TpmObject parent, byte[] name, byte[] priv) throws TpmFormatException {
        TpmReader r = new TpmReader(priv, 0, priv.length);
        byte[] integrity;
        try {
            integrity = r.tpm2b(Params.MAX_DIGEST);
        } catch (TpmFormatException e) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.INSUFFICIENT, 1));
        }
        byte[] enc = r.bytes(r.remaining());
        if (!MessageDigest.isEqual(integrity, integrity(parent, enc, name))) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.INTEGRITY, 1));
        }
        byte[] plain = Crypto.aesCfb(false, symKey(parent, name), new byte[16], enc);
        try {
            TpmReader p = new TpmReader(plain, 0, plain.length);
            int size = p.u16();
            if (size != p.remaining()) {
                throw new TpmFormatException(TpmRc.SENSITIVE);
            }
            SensitiveArea s = SensitiveArea.read(p);
            if (p.remaining() != 0) {
                throw new TpmFormatException(TpmRc.SENSITIVE);
            }
            return s;
        } catch (TpmFormatException e) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SENSITIVE, 1));
        }
    }

    private static byte[] symKey(TpmObject parent, byte[] name) {
        return Crypto.kdfa(parent.pub.nameAlg(), parent.sensitive.seedValue(), "STORAGE", name, null,
                parent.pub.symBits());
    }

    private static byte[] integrity(TpmObject parent, byte[] enc, byte[] name) {
        HashAlg alg = parent.pub.nameAlg();
        byte[] key = Crypto.kdfa(alg, parent.sensitive.seedValue(), "INTEGRITY", null, null, alg.digestSize() * 8);
        return Crypto.hmac(alg, key, enc, name);
    }
}
