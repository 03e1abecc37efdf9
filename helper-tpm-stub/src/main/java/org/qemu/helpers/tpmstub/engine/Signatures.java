package org.qemu.helpers.tpmstub.engine;

/** Signing schemes and signatures, shared by Quote and Sign (Part 2 11.2.1.5, 11.3.4; Part 4 CryptUtil.c). */
final class Signatures {
    private Signatures() { }

    /** A signing scheme (TPMT_SIG_SCHEME): RSASSA or ECDSA with a hash, or NULL (hash null). */
    record Scheme(int alg, HashAlg hash) { }

    /** TPMT_SIG_SCHEME+: RSASSA or ECDSA and their hash, or NULL; others are not offered (TPM_RC_SCHEME). */
    static Scheme scheme(TpmReader r) throws TpmFormatException {
        int alg = r.u16();
        if (alg == PublicArea.ALG_NULL) {
            return new Scheme(alg, null);
        }
        if (alg != PublicArea.ALG_RSASSA && alg != PublicArea.ALG_ECDSA) {
            throw new TpmFormatException(TpmRc.SCHEME); // RSAPSS, ECDAA, ECSCHNORR, SM2, HMAC
        }
        return new Scheme(alg, Params.hashAlg(r));
    }

    /**
     * Part 4 CryptUtil.c CryptSelectSignScheme: the key's own scheme, or the caller's for a key with a
     * NULL one; the key must be a signing key (TPM_RC_KEY for handle 1), the scheme fit it
     * (TPM_RC_SCHEME for parameter 2).
     */
    static Scheme select(TpmObject key, Scheme in) throws TpmFormatException {
        PublicArea p = key.pub;
        if (!p.has(PublicArea.SIGN) || p.type() == PublicArea.ALG_KEYEDHASH) {
            throw new TpmFormatException(TpmRc.withHandle(TpmRc.KEY, 1));
        }
        int fits = p.type() == PublicArea.ALG_RSA ? PublicArea.ALG_RSASSA : PublicArea.ALG_ECDSA;
        if (p.scheme() == PublicArea.ALG_NULL) {
            if (in.alg() != fits) {
                throw new TpmFormatException(TpmRc.withParameter(TpmRc.SCHEME, 2));
            }
            return in;
        }
        Scheme own = new Scheme(p.scheme(), HashAlg.byId(p.schemeHash()).orElseThrow());
        if (own.alg() != fits) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SCHEME, 2)); // RSAPSS keys: not offered
        }
        if (in.alg() != PublicArea.ALG_NULL && !in.equals(own)) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SCHEME, 2));
        }
        return own;
    }

    /** TPMT_SIGNATURE over {@code digest} (made with the scheme's hash). */
    static void write(TpmObject key, Scheme scheme, byte[] digest, TpmWriter out) {
        out.u16(scheme.alg()).u16(scheme.hash().algId());
        if (scheme.alg() == PublicArea.ALG_RSASSA) {
            out.tpm2b(Keys.signRsassa(key.privateKey(), scheme.hash(), digest));
        } else {
            byte[][] rs = Keys.signEcdsa(key.privateKey(), digest);
            out.tpm2b(rs[0]).tpm2b(rs[1]);
        }
    }
}
