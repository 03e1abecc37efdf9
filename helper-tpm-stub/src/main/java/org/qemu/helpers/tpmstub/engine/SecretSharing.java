package org.qemu.helpers.tpmstub.engine;

/**
 * Recovering a secret that a caller protected with a TPM key's public part (Part 1 "Secret
 * Sharing": RSA in B.10.3, ECC in C.6.1; Part 4 CryptUtil.c CryptSecretDecrypt): the salt of a
 * salted session (label "SECRET") and the seed of a credential (label "IDENTITY").
 */
final class SecretSharing {
    private SecretSharing() { }

    /**
     * RSA: OAEP decryption with the label (its terminating zero included) and the key's scheme hash
     * (OAEP with the nameAlg when the scheme is NULL; another scheme is TPM_RC_SCHEME), at most that
     * hash's size (else TPM_RC_VALUE). ECC: the TPMS_ECC_POINT Qe is multiplied by the private key
     * (TPM_RC_ECC_POINT if it is not a point on the curve) and the secret is
     * KDFe(nameAlg, Z, label, Qe.x, Qs.x, nameAlg digest bits). Errors carry no parameter number.
     */
    static byte[] recover(TpmObject key, String label, byte[] secret) throws TpmFormatException {
        HashAlg nameAlg = key.pub.nameAlg();
        if (key.pub.type() == PublicArea.ALG_RSA) {
            HashAlg oaep = nameAlg;
            if (key.pub.scheme() == PublicArea.ALG_OAEP) {
                oaep = HashAlg.byId(key.pub.schemeHash()).orElse(nameAlg);
            } else if (key.pub.scheme() != PublicArea.ALG_NULL) {
                throw new TpmFormatException(TpmRc.SCHEME);
            }
            byte[] seed = Keys.rsaOaepDecrypt(key.privateKey(), oaep, label, secret);
            if (seed == null || seed.length > oaep.digestSize()) {
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
        return Crypto.kdfe(nameAlg, z, label, x, key.pub.uniqueX(), nameAlg.digestSize() * 8);
    }
}
