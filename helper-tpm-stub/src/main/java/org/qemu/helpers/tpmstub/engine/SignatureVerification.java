package org.qemu.helpers.tpmstub.engine;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;

/**
 * TPMT_SIGNATURE as VerifySignature reads it (Part 2 11.3.4) and its check with a key's public part
 * (Part 4 CryptUtil.c CryptValidateSignature): RSASSA-PKCS1-v1_5 and ECDSA on P-256.
 */
final class SignatureVerification {
    private SignatureVerification() { }

    static final int ALG_ECDAA = 0x001A;
    static final int ALG_SM2 = 0x001B;
    static final int ALG_ECSCHNORR = 0x001C;

    /** A TPMT_SIGNATURE: RSA signatures in {@code rsa}, ECC ones in {@code r} and {@code s}. */
    record Sig(int alg, HashAlg hash, byte[] rsa, byte[] r, byte[] s) { }

    /**
     * TPMT_SIGNATURE (no NULL): RSASSA/RSAPSS (hash, TPM2B_PUBLIC_KEY_RSA), ECDSA/ECDAA/SM2/ECSCHNORR
     * (hash, r, s); HMAC and anything else is TPM_RC_SCHEME here (libtpms reads HMAC signatures too).
     */
    static Sig read(TpmReader r) throws TpmFormatException {
        int alg = r.u16();
        switch (alg) {
            case PublicArea.ALG_RSASSA, PublicArea.ALG_RSAPSS -> {
                HashAlg h = Params.hashAlg(r);
                return new Sig(alg, h, r.tpm2b(AsymmetricCommands.MAX_RSA_BYTES), null, null);
            }
            case PublicArea.ALG_ECDSA, ALG_ECDAA, ALG_SM2, ALG_ECSCHNORR -> {
                HashAlg h = Params.hashAlg(r);
                // TPM2B_ECC_PARAMETER: MAX_ECC_KEY_BYTES of libtpms (P-521, BN-638: 80)
                return new Sig(alg, h, null, r.tpm2b(80), r.tpm2b(80));
            }
            default -> throw new TpmFormatException(TpmRc.SCHEME);
        }
    }

    /**
     * Whether {@code sig} is {@code key}'s signature of {@code digest}: TPM_RC_SCHEME for a scheme
     * that does not fit the key (or RSAPSS, not offered here), TPM_RC_SIGNATURE when it does not verify.
     */
    static void verify(TpmObject key, byte[] digest, Sig sig) throws TpmFormatException {
        PublicArea p = key.pub;
        try {
            if (p.type() == PublicArea.ALG_RSA) {
                if (sig.alg() != PublicArea.ALG_RSASSA) {
                    throw new TpmFormatException(TpmRc.SCHEME); // RSAPSS: not offered (libtpms: verified)
                }
                if (sig.rsa().length != p.uniqueX().length || digest.length != sig.hash().digestSize()) {
                    throw new TpmFormatException(TpmRc.SIGNATURE);
                }
                Signature v = Signature.getInstance("NONEwithRSA");
                v.initVerify(Keys.rsaPublic(p.uniqueX()));
                v.update(Keys.digestInfo(sig.hash(), digest));
                if (!v.verify(sig.rsa())) {
                    throw new TpmFormatException(TpmRc.SIGNATURE);
                }
                return;
            }
            if (p.type() != PublicArea.ALG_ECC || sig.alg() != PublicArea.ALG_ECDSA) {
                throw new TpmFormatException(TpmRc.SCHEME);
            }
            PublicKey q = Keys.eccPublicKey(p.uniqueX(), p.uniqueY());
            if (q == null || sig.r().length > PublicArea.ECC_BYTES || sig.s().length > PublicArea.ECC_BYTES) {
                throw new TpmFormatException(TpmRc.SIGNATURE);
            }
            byte[] rs = new byte[2 * PublicArea.ECC_BYTES];
            System.arraycopy(sig.r(), 0, rs, PublicArea.ECC_BYTES - sig.r().length, sig.r().length);
            System.arraycopy(sig.s(), 0, rs, rs.length - sig.s().length, sig.s().length);
            Signature v = Signature.getInstance("NONEwithECDSAinP1363Format");
            v.initVerify(q);
            v.update(digest);
            if (!v.verify(rs)) {
                throw new TpmFormatException(TpmRc.SIGNATURE);
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new TpmFormatException(TpmRc.SIGNATURE);
        }
    }
}
