package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.spec.MGF1ParameterSpec;
import java.util.Set;

import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * Part 3 chapter 14 (Asymmetric Primitives): RSA_Encrypt and RSA_Decrypt with OAEP, RSAES
 * (PKCS#1 v1.5) or no padding, in libtpms 0.9's order of checks and with its error codes (a
 * ciphertext that does not decrypt answers TPM_RC_FAILURE, as libtpms's OpenSSL path does).
 */
final class AsymmetricCommands implements ObjectHandleGroup {
    /** TPM2B_PUBLIC_KEY_RSA: MAX_RSA_KEY_BYTES of libtpms (RSA-3072), though keys here are RSA-2048. */
    static final int MAX_RSA_BYTES = 384;
    /** TPM2B_DATA (the label): sizeof(TPMT_HA). */
    static final int MAX_DATA = 2 + Params.MAX_DIGEST;

    private final EngineCore core;

    AsymmetricCommands(EngineCore core) {
        this.core = core;
    }

    @Override
    public EngineCore core() {
        return core;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.RSA_ENCRYPT, CommandCode.RSA_DECRYPT);
    }

    /** TPMT_RSA_DECRYPT: TPM_ALG_RSAES, TPM_ALG_OAEP with a hash, or TPM_ALG_NULL. */
    record RsaScheme(int scheme, HashAlg hash) { }

    static RsaScheme rsaScheme(TpmReader r) throws TpmFormatException {
        int scheme = r.u16();
        if (scheme == PublicArea.ALG_OAEP) {
            return new RsaScheme(scheme, Params.hashAlg(r));
        }
        if (scheme != PublicArea.ALG_RSAES && scheme != PublicArea.ALG_NULL) {
            throw new TpmFormatException(TpmRc.VALUE);
        }
        return new RsaScheme(scheme, null);
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
        byte[] data = param(r, 1, rd -> rd.tpm2b(MAX_RSA_BYTES));
        RsaScheme scheme = param(r, 2, AsymmetricCommands::rsaScheme);
        byte[] label = param(r, 3, rd -> rd.tpm2b(MAX_DATA));
        noMoreParams(r);
        boolean encrypt = c.cc() == CommandCode.RSA_ENCRYPT;
        if (!(core.loaded(c.handle(0)) instanceof TpmObject key) || key.pub.type() != PublicArea.ALG_RSA) {
            throw new TpmFormatException(TpmRc.withHandle(TpmRc.KEY, 1));
        }
        // RSA_Encrypt: a decryption key; RSA_Decrypt: an unrestricted one
        if (!key.pub.has(PublicArea.DECRYPT) || (!encrypt && key.pub.has(PublicArea.RESTRICTED))) {
            throw new TpmFormatException(TpmRc.withHandle(TpmRc.ATTRIBUTES, 1));
        }
        if (label.length != 0 && label[label.length - 1] != 0) { // IsLabelProperlyFormatted: NUL-terminated
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 3));
        }
        RsaScheme chosen = select(key.pub, scheme);
        byte[] out = encrypt ? rsaEncrypt(key, chosen, data, label) : rsaDecrypt(key, chosen, data, label);
        c.out().tpm2b(out);
    }

    /**
     * Part 4 CryptRsa.c CryptRsaSelectScheme: the caller's scheme for a key with scheme NULL, the key's
     * for a NULL request, else both must agree (TPM_RC_SCHEME, parameter 2).
     */
    private static RsaScheme select(PublicArea pub, RsaScheme in) throws TpmFormatException {
        if (pub.scheme() == PublicArea.ALG_NULL) {
            return in;
        }
        HashAlg keyHash = HashAlg.byId(pub.schemeHash()).orElse(null);
        if (in.scheme() == PublicArea.ALG_NULL) {
            return new RsaScheme(pub.scheme(), keyHash);
        }
        if (in.scheme() == pub.scheme() && (in.hash() == keyHash || in.scheme() == PublicArea.ALG_RSAES)) {
            return in;
        }
        throw new TpmFormatException(TpmRc.withParameter(TpmRc.SCHEME, 2));
    }

    /** Part 3 14.2 TPM2_RSA_Encrypt: with the public key; no padding means the message is a number below n. */
    private static byte[] rsaEncrypt(TpmObject key, RsaScheme s, byte[] message, byte[] label)
            throws TpmFormatException {
        byte[] in = message;
        if (s.scheme() == PublicArea.ALG_NULL) {
            int i = 0;
            while (i < in.length && in[i] == 0) {
                i++;
            }
            int modulus = key.pub.uniqueX().length;
            if (in.length - i > modulus) {
                throw new TpmFormatException(TpmRc.VALUE);
            }
            byte[] padded = new byte[modulus];
            System.arraycopy(in, i, padded, modulus - (in.length - i), in.length - i);
            in = padded;
        }
        return crypt(Cipher.ENCRYPT_MODE, Keys.rsaPublic(key.pub.uniqueX()), s, in, label);
    }

    /** Part 3 14.3 TPM2_RSA_Decrypt: the ciphertext must be as long as the modulus (TPM_RC_SIZE). */
    private static byte[] rsaDecrypt(TpmObject key, RsaScheme s, byte[] cipherText, byte[] label)
            throws TpmFormatException {
        if (cipherText.length != key.pub.uniqueX().length) {
            throw new TpmFormatException(TpmRc.SIZE);
        }
        return crypt(Cipher.DECRYPT_MODE, key.privateKey(), s, cipherText, label);
    }

    private static byte[] crypt(int mode, Key key, RsaScheme s, byte[] in, byte[] label) throws TpmFormatException {
        try {
            Cipher c;
            switch (s.scheme()) {
                case PublicArea.ALG_OAEP -> {
                    c = Cipher.getInstance("RSA/ECB/OAEPPadding");
                    String md = s.hash().newDigest().getAlgorithm();
                    c.init(mode, key, new OAEPParameterSpec(md, "MGF1", new MGF1ParameterSpec(md),
                            new PSource.PSpecified(label)));
                }
                case PublicArea.ALG_RSAES -> {
                    c = Cipher.getInstance("RSA/ECB/PKCS1Padding");
                    c.init(mode, key);
                }
                case PublicArea.ALG_NULL -> {
                    c = Cipher.getInstance("RSA/ECB/NoPadding");
                    c.init(mode, key);
                }
                default -> throw new TpmFormatException(TpmRc.SCHEME); // the key's own scheme signs
            }
            return c.doFinal(in);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            // libtpms: EVP_PKEY_encrypt/decrypt failing (message too long, bad padding, value >= n)
            throw new TpmFormatException(TpmRc.FAILURE);
        }
    }
}
