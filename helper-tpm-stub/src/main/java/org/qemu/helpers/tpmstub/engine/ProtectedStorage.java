package org.qemu.helpers.tpmstub.engine;

import java.security.MessageDigest;

/**
 * The outer wrapper of Part 1 "Protected Storage" and "Credential Protection": a TPM2B is
 * encrypted with AES-CFB (zero IV) under symKey = KDFa(nameAlg, seed, "STORAGE", Name, -, keyBits)
 * and preceded by the integrity HMAC(KDFa(nameAlg, seed, "INTEGRITY", -, -, digest bits),
 * encrypted || Name). For TPM2B_PRIVATE the seed is the storage parent's seedValue (only this TPM
 * can read it); for a credential (TPM2B_ID_OBJECT) it is the seed the maker shared with the EK.
 */
final class ProtectedStorage {
    private ProtectedStorage() { }

    /** Bound of TPM2B_PRIVATE: integrity digest plus the largest TPM2B_SENSITIVE here. */
    static final int MAX_PRIVATE = 2 + Params.MAX_DIGEST + 2 + 2 + 3 * (2 + Params.MAX_DIGEST) + SensitiveArea.MAX_SECRET;

    /** The key that protects what is wrapped: nameAlg, seed and AES key size. */
    record Protector(HashAlg nameAlg, byte[] seed, int symBits) {
        static Protector of(TpmObject parent) {
            return new Protector(parent.pub.nameAlg(), parent.sensitive.seedValue(), parent.pub.symBits());
        }

        /** A credential's protector (Part 1 24.4): the key's nameAlg and AES size, the seed shared with it. */
        static Protector ofCredential(PublicArea key, byte[] seed) {
            return new Protector(key.nameAlg(), seed, key.symBits());
        }
    }

    static byte[] wrap(TpmObject parent, byte[] name, SensitiveArea s) {
        byte[] sensitive = s.marshal();
        return seal(Protector.of(parent), name, new TpmWriter(2 + sensitive.length).tpm2b(sensitive).toByteArray());
    }

    /**
     * integrity || encrypted for {@code plain} (a marshalled TPM2B) and the Name it is bound to: Part 4
     * ProduceOuterWrap without an IV, the inverse of {@link #open}.
     */
    static byte[] seal(Protector p, byte[] name, byte[] plain) {
        byte[] enc = Crypto.aesCfb(true, symKey(p, name), new byte[16], plain);
        byte[] integrity = integrity(p, enc, name);
        return new TpmWriter(2 + integrity.length + enc.length).tpm2b(integrity).bytes(enc).toByteArray();
    }

    /**
     * The sensitive area of {@code priv}, or TPM_RC_INTEGRITY (a blob not made by this parent or
     * changed) / TPM_RC_SENSITIVE (it decrypts to something that is no TPMT_SENSITIVE) for parameter 1.
     */
    static SensitiveArea unwrap(TpmObject parent, byte[] name, byte[] priv) throws TpmFormatException {
        byte[] plain = open(Protector.of(parent), name, priv);
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

    /** The decrypted contents of integrity || encrypted, or TPM_RC_INTEGRITY for parameter 1. */
    static byte[] open(Protector p, byte[] name, byte[] blob) throws TpmFormatException {
        byte[][] parts = split(blob, TpmRc.INSUFFICIENT);
        if (!MessageDigest.isEqual(parts[0], integrity(p, parts[1], name))) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.INTEGRITY, 1));
        }
        return Crypto.aesCfb(false, symKey(p, name), new byte[16], parts[1]);
    }

    /**
     * A blob of TPM2B_DIGEST integrity || encrypted data (TPM2B_PRIVATE, TPM2B_ID_OBJECT,
     * TPMS_CONTEXT_DATA) split in its two parts, or {@code rc} for parameter 1 when it is too short.
     */
    static byte[][] split(byte[] blob, int rc) throws TpmFormatException {
        TpmReader r = new TpmReader(blob, 0, blob.length);
        try {
            byte[] integrity = r.tpm2b(Params.MAX_DIGEST);
            return new byte[][] {integrity, r.bytes(r.remaining())};
        } catch (TpmFormatException e) {
            throw new TpmFormatException(TpmRc.withParameter(rc, 1));
        }
    }

    private static byte[] symKey(Protector p, byte[] name) {
        return Crypto.kdfa(p.nameAlg(), p.seed(), "STORAGE", name, null, p.symBits());
    }

    private static byte[] integrity(Protector p, byte[] enc, byte[] name) {
        HashAlg alg = p.nameAlg();
        byte[] key = Crypto.kdfa(alg, p.seed(), "INTEGRITY", null, null, alg.digestSize() * 8);
        return Crypto.hmac(alg, key, enc, name);
    }
}
