package org.qemu.helpers.tpmstub.engine;

/**
 * A TPMT_PUBLIC (Part 2 12.2.4): an object's type, nameAlg, TPMA_OBJECT attributes, authPolicy,
 * type-specific parameters (Part 2 12.2.3) and unique field. Only the types and algorithms this TPM
 * implements unmarshal; everything is validated against Part 2's interface types while reading.
 * {@link #marshal} gives back the canonical bytes, which is what the Name hashes (Part 1 16).
 */
record PublicArea(int type, HashAlg nameAlg, int attributes, byte[] authPolicy, int symAlg, int symBits,
                  int symMode, int scheme, int schemeHash, int keyBits, long exponent, int curve,
                  byte[] uniqueX, byte[] uniqueY) {
    // TPM_ALG_ID (Part 2 6.3)
    static final int ALG_RSA = 0x0001;
    static final int ALG_HMAC = 0x0005;
    static final int ALG_AES = 0x0006;
    static final int ALG_KEYEDHASH = 0x0008;
    static final int ALG_NULL = 0x0010;
    static final int ALG_RSASSA = 0x0014;
    static final int ALG_RSAES = 0x0015;
    static final int ALG_RSAPSS = 0x0016;
    static final int ALG_OAEP = 0x0017;
    static final int ALG_ECDSA = 0x0018;
    static final int ALG_ECDH = 0x0019;
    static final int ALG_ECC = 0x0023;
    static final int ALG_CFB = 0x0043;
    static final int ECC_NIST_P256 = 0x0003;
    // TPMA_OBJECT (Part 2 8.3)
    static final int FIXED_TPM = 1 << 1;
    static final int ST_CLEAR = 1 << 2;
    static final int FIXED_PARENT = 1 << 4;
    static final int SENSITIVE_DATA_ORIGIN = 1 << 5;
    static final int USER_WITH_AUTH = 1 << 6;
    static final int ADMIN_WITH_POLICY = 1 << 7;
    static final int NO_DA = 1 << 10;
    static final int ENCRYPTED_DUPLICATION = 1 << 11;
    static final int RESTRICTED = 1 << 16;
    static final int DECRYPT = 1 << 17;
    static final int SIGN = 1 << 18;
    static final int X509SIGN = 1 << 19;
    static final int RESERVED = 0x1 | 0x8 | 0x300 | 0xF000 | 0xFFF00000;
    /** RSA modulus and ECC coordinate sizes this TPM generates (RSA 2048, NIST P-256). */
    static final int RSA_BITS = 2048;
    static final int ECC_BYTES = 32;
    static final long DEFAULT_EXPONENT = 65537;

    boolean has(int attribute) {
        return (attributes & attribute) != 0;
    }

    /** A storage parent: a restricted decryption key with a symmetric algorithm (Part 1, storage keys). */
    boolean isStorageParent() {
        return (type == ALG_RSA || type == ALG_ECC) && has(RESTRICTED) && has(DECRYPT) && !has(SIGN)
                && symAlg == ALG_AES;
    }

    /** A sealed data object: a KEYEDHASH that neither signs nor decrypts (Part 3 12.7). */
    boolean isSealedData() {
        return type == ALG_KEYEDHASH && !has(SIGN) && !has(DECRYPT);
    }

    PublicArea withUnique(byte[] x, byte[] y) {
        return new PublicArea(type, nameAlg, attributes, authPolicy, symAlg, symBits, symMode, scheme, schemeHash,
                keyBits, exponent, curve, x, y);
    }

    long effectiveExponent() {
        return exponent == 0 ? DEFAULT_EXPONENT : exponent;
    }

    /** The Name (Part 1 16): nameAlg || H_nameAlg(TPMT_PUBLIC). */
    byte[] name() {
        byte[] h = Crypto.hash(nameAlg, marshal());
        byte[] n = new byte[2 + h.length];
        n[0] = (byte) (nameAlg.algId() >>> 8);
        n[1] = (byte) nameAlg.algId();
        System.arraycopy(h, 0, n, 2, h.length);
        return n;
    }

    byte[] marshal() {
        TpmWriter w = new TpmWriter(128 + uniqueX.length + uniqueY.length);
        w.u16(type).u16(nameAlg.algId()).u32(attributes & 0xFFFFFFFFL).tpm2b(authPolicy);
        switch (type) {
            case ALG_KEYEDHASH -> {
                w.u16(scheme);
                if (scheme == ALG_HMAC) {
                    w.u16(schemeHash);
                }
                w.tpm2b(uniqueX);
            }
            case ALG_RSA -> {
                writeSym(w);
                writeScheme(w);
                w.u16(keyBits).u32(exponent).tpm2b(uniqueX);
            }
            default -> { // ECC
                writeSym(w);
                writeScheme(w);
                w.u16(curve).u16(ALG_NULL).tpm2b(uniqueX).tpm2b(uniqueY);
            }
        }
        return w.toByteArray();
    }

    /** TPM2B_PUBLIC. */
    void writeTo(TpmWriter w) {
        w.tpm2b(marshal());
    }

    private void writeSym(TpmWriter w) {
        w.u16(symAlg);
        if (symAlg != ALG_NULL) {
            w.u16(symBits).u16(symMode);
        }
    }

    private void writeScheme(TpmWriter w) {
        w.u16(scheme);
        if (scheme != ALG_NULL && scheme != ALG_RSAES) { // TPMS_ENC_SCHEME_RSAES is empty
            w.u16(schemeHash);
        }
    }

    /** Reads a TPM2B_PUBLIC (size must match its contents exactly, else TPM_RC_SIZE). */
    static PublicArea read2b(TpmReader r) throws TpmFormatException {
        int size = r.u16();
        if (size == 0) {
            throw new TpmFormatException(TpmRc.SIZE);
        }
        int outer = r.pushLimit(size);
        PublicArea p = read(r);
        if (r.remaining() != 0) {
            throw new TpmFormatException(TpmRc.SIZE);
        }
        r.restoreLimit(outer);
        return p;
    }

    /** Reads a TPMT_PUBLIC: TPMI_ALG_PUBLIC, TPMI_ALG_HASH, TPMA_OBJECT, then the parameters of the type. */
    static PublicArea read(TpmReader r) throws TpmFormatException {
        int type = r.u16();
        if (type != ALG_RSA && type != ALG_KEYEDHASH && type != ALG_ECC) {
            throw new TpmFormatException(TpmRc.TYPE);
        }
        HashAlg nameAlg = Params.hashAlg(r);
        int attributes = r.s32();
        if ((attributes & RESERVED) != 0) {
            throw new TpmFormatException(TpmRc.RESERVED_BITS);
        }
        byte[] policy = r.tpm2b(Params.MAX_DIGEST);
        int symAlg = ALG_NULL;
        int symBits = 0;
        int symMode = 0;
        int scheme;
        int schemeHash = 0;
        int keyBits = 0;
        long exponent = 0;
        int curve = 0;
        byte[] x;
        byte[] y = new byte[0];
        if (type == ALG_KEYEDHASH) {
            scheme = r.u16(); // TPMI_ALG_KEYEDHASH_SCHEME+: HMAC, XOR (not offered) or NULL
            if (scheme == ALG_HMAC) {
                schemeHash = Params.hashAlg(r).algId();
            } else if (scheme != ALG_NULL) {
                throw new TpmFormatException(TpmRc.VALUE);
            }
            x = r.tpm2b(Params.MAX_DIGEST);
        } else {
            symAlg = r.u16(); // TPMT_SYM_DEF_OBJECT+: AES-128/192/256 in CFB, or NULL
            if (symAlg == ALG_AES) {
                symBits = r.u16();
                if (symBits != 128 && symBits != 192 && symBits != 256) {
                    throw new TpmFormatException(TpmRc.VALUE); // TPMI_AES_KEY_BITS, as libtpms
                }
                symMode = r.u16();
                if (symMode != ALG_CFB) {
                    throw new TpmFormatException(TpmRc.MODE);
                }
            } else if (symAlg != ALG_NULL) {
                throw new TpmFormatException(TpmRc.SYMMETRIC);
            }
            scheme = r.u16();
            boolean known = type == ALG_RSA
                    ? scheme == ALG_RSASSA || scheme == ALG_RSAPSS || scheme == ALG_RSAES || scheme == ALG_OAEP
                    : scheme == ALG_ECDSA || scheme == ALG_ECDH;
            if (known) {
                schemeHash = scheme == ALG_RSAES ? 0 : Params.hashAlg(r).algId();
            } else if (scheme != ALG_NULL) {
                throw new TpmFormatException(TpmRc.SCHEME);
            }
            if (type == ALG_RSA) {
                keyBits = r.u16();
                if (keyBits != RSA_BITS) {
                    // TPMI_RSA_KEY_BITS: libtpms also has 1024 and 3072, which this TPM does not make
                    throw new TpmFormatException(keyBits == 1024 || keyBits == 3072 ? TpmRc.KEY_SIZE : TpmRc.VALUE);
                }
                exponent = r.u32();
                if (exponent != 0 && exponent != DEFAULT_EXPONENT) {
                    throw new TpmFormatException(TpmRc.VALUE); // other exponents are not generated here
                }
                x = r.tpm2b(RSA_BITS / 8);
            } else {
                curve = r.u16();
                if (curve != ECC_NIST_P256) {
                    throw new TpmFormatException(TpmRc.CURVE);
                }
                if (r.u16() != ALG_NULL) { // TPMT_KDF_SCHEME: only NULL (no KDF-based ECC schemes here)
                    throw new TpmFormatException(TpmRc.KDF);
                }
                x = r.tpm2b(ECC_BYTES);
                y = r.tpm2b(ECC_BYTES);
            }
        }
        return new PublicArea(type, nameAlg, attributes, policy, symAlg, symBits, symMode, scheme, schemeHash,
                keyBits, exponent, curve, x, y);
    }
}
