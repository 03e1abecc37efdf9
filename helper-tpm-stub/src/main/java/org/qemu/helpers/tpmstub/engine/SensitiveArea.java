package org.qemu.helpers.tpmstub.engine;

/**
 * A TPMT_SENSITIVE (Part 2 12.3.2.4): authValue, seedValue (the obfuscation value of a KEYEDHASH,
 * the protection seed of a storage parent) and the private part: the RSA prime p, the ECC private
 * scalar d, or the sealed data.
 */
record SensitiveArea(int type, byte[] authValue, byte[] seedValue, byte[] secret) {
    /** Largest private part: sealed data (MAX_SYM_DATA, 128 bytes) or an RSA-2048 prime (128 bytes). */
    static final int MAX_SECRET = 128;

    byte[] marshal() {
        return new TpmWriter(8 + authValue.length + seedValue.length + secret.length).u16(type)
                .tpm2b(authValue).tpm2b(seedValue).tpm2b(secret).toByteArray();
    }

    /** Reads a TPMT_SENSITIVE; every field is bounded. */
    static SensitiveArea read(TpmReader r) throws TpmFormatException {
        int type = r.u16();
        if (type != PublicArea.ALG_RSA && type != PublicArea.ALG_ECC && type != PublicArea.ALG_KEYEDHASH) {
            throw new TpmFormatException(TpmRc.TYPE);
        }
        byte[] auth = r.tpm2b(Params.MAX_DIGEST);
        byte[] seed = r.tpm2b(Params.MAX_DIGEST);
        byte[] secret = r.tpm2b(MAX_SECRET);
        return new SensitiveArea(type, auth, seed, secret);
    }
}
