package org.qemu.helpers.tpmstub.engine;

/**
 * Sharing a secret with the holder of a TPM key's private part (Part 1 "Secret Sharing": RSA in
 * B.10.3, ECC in C.6.1; Part 4 CryptUtil.c CryptSecretEncrypt / CryptSecretDecrypt): the salt of a
 * salted session (label "SECRET") and the seed of a credential (label "IDENTITY"). {@link #share}
 * makes a seed and its encrypted form with the public part (TPM2_MakeCredential), {@link #recover}
 * gets the seed back with the private part (StartAuthSession, TPM2_ActivateCredential).
 */
final class SecretSharing {
    private SecretSharing() { }

    /** A seed and the TPM2B_ENCRYPTED_SECRET contents that carry it to the key's holder. */
    record Shared(byte[] seed, byte[] secret) { }

    /**
     * A new seed of the nameAlg's digest size for {@code key} (Part 1 24.4 and 11.4.10, Part 4
     * CryptSecretEncrypt). RSA: random, OAEP-encrypted as {@link #recover} decrypts it. ECC: an
     * ephemeral key pair (de, Qe) on the key's curve; the seed is KDFe(nameAlg, x(de * Qs), label, Qe.x,
     * Qs.x, digest bits) and the secret is the TPMS_ECC_POINT Qe. TPM_RC_KEY (no parameter number) if
     * the public key cannot be used.
     */
    static Shared share(PublicArea key, String label, TpmEngine.RandomSource random) throws TpmFormatException {
        HashAlg nameAlg = key.nameAlg();
        if (key.type() == PublicArea.ALG_RSA) {
            byte[] seed = new byte[nameAlg.digestSize()];
            random.fill(seed);
            java.security.PublicKey rsa = Keys.rsaPublic(key.uniqueX());
            byte[] secret = rsa == null ? null : Keys.rsaOaepEncrypt(rsa, oaepHash(key), label, seed);
            if (secret == null) {
                throw new TpmFormatException(TpmRc.KEY);
            }
            return new Shared(seed, secret);
        }
        Keys.EccKey ephemeral = Keys.generateEcc(random::fill);
        byte[] z = Keys.ecdhX(Keys.eccPrivate(ephemeral.d()), key.uniqueX(), key.uniqueY());
        if (z == null) {
            throw new TpmFormatException(TpmRc.KEY); // libtpms: the key's point is not on its curve
        }
        byte[] point = new TpmWriter(4 + 2 * PublicArea.ECC_BYTES).tpm2b(ephemeral.x()).tpm2b(ephemeral.y())
                .toByteArray();
        return new Shared(eccSeed(key, z, label, ephemeral.x()), point);
    }

    /**
     * RSA: OAEP decryption with the label (its terminating zero included) and the key's scheme hash
     * (OAEP with the nameAlg when the scheme is NULL; another scheme is TPM_RC_SCHEME), at most that
     * hash's size (else TPM_RC_VALUE); a ciphertext that does not decrypt is TPM_RC_FAILURE, as libtpms
     * 0.9's OpenSSL path answers (ActivateCredential passes it on; StartAuthSession makes it TPM_RC_VALUE). ECC: the TPMS_ECC_POINT Qe is multiplied by the private key
     * (TPM_RC_ECC_POINT if it is not a point on the curve) and the secret is
     * KDFe(nameAlg, Z, label, Qe.x, Qs.x, nameAlg digest bits). Errors carry no parameter number.
     */
    static byte[] recover(TpmObject key, String label, byte[] secret) throws TpmFormatException {
        if (key.pub.type() == PublicArea.ALG_RSA) {
            HashAlg oaep = oaepHash(key.pub);
            byte[] seed = Keys.rsaOaepDecrypt(key.privateKey(), oaep, label, secret);
            if (seed == null) {
                throw new TpmFormatException(TpmRc.FAILURE); // libtpms 0.9: OpenSSL's decryption failed
            }
            if (seed.length > oaep.digestSize()) {
                throw new TpmFormatException(TpmRc.VALUE);
            }
            return seed;
        }
        TpmReader r = new TpmReader(secret, 0, secret.length);
        byte[] x;
        byte[] y;
        try {
            x = r.tpm2b(PublicArea.ECC_BYTES);
            y = r.tpm2b(PublicArea.ECC_BYTES);
        } catch (TpmFormatException e) {
            throw new TpmFormatException(TpmRc.ECC_POINT);
        }
        byte[] z = r.remaining() == 0 ? Keys.ecdhX(key.privateKey(), x, y) : null;
        if (z == null) {
            throw new TpmFormatException(TpmRc.ECC_POINT);
        }
        return eccSeed(key.pub, z, label, x);
    }

    /**
     * The OAEP hash of an RSA key's secrets: its scheme's for an OAEP key, its nameAlg for scheme NULL
     * (Part 4 CryptSecretDecrypt; storage keys and EKs have NULL), else TPM_RC_SCHEME.
     */
    private static HashAlg oaepHash(PublicArea key) throws TpmFormatException {
        if (key.scheme() == PublicArea.ALG_OAEP) {
            return HashAlg.byId(key.schemeHash()).orElse(key.nameAlg());
        }
        if (key.scheme() != PublicArea.ALG_NULL) {
            throw new TpmFormatException(TpmRc.SCHEME);
        }
        return key.nameAlg();
    }

    /** KDFe(nameAlg, Z, label, Qe.x, Qs.x, nameAlg digest bits) (Part 1 C.6.1). */
    private static byte[] eccSeed(PublicArea key, byte[] z, String label, byte[] ephemeralX) {
        HashAlg nameAlg = key.nameAlg();
        return Crypto.kdfe(nameAlg, z, label, ephemeralX, key.uniqueX(), nameAlg.digestSize() * 8);
    }
}
