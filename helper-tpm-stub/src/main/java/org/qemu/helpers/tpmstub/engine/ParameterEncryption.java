package org.qemu.helpers.tpmstub.engine;

import java.util.EnumSet;
import java.util.Set;

/**
 * Session-based parameter encryption (Part 1 21): the first parameter of a command (decrypt
 * attribute) or of a response (encrypt attribute), when it is a TPM2B, is encrypted with AES in
 * CFB mode (Part 1 21.3) or XOR-obfuscated (Part 1 21.2) under the session's sessionKey and the
 * authValue of the entity the session authorises. Which commands allow it is Part 3's "DECRYPT_2" /
 * "ENCRYPT_2" (libtpms CommandAttributeData.h).
 */
final class ParameterEncryption {
    private ParameterEncryption() { }

    static final int ALG_XOR = 0x000A;
    private static final int AES_BLOCK = 16;

    /** Commands whose first parameter is a TPM2B (may be encrypted by the caller). */
    private static final Set<CommandCode> DECRYPT = EnumSet.of(CommandCode.HIERARCHY_CHANGE_AUTH,
            CommandCode.NV_DEFINE_SPACE, CommandCode.CREATE_PRIMARY, CommandCode.NV_EXTEND, CommandCode.NV_WRITE,
            CommandCode.PCR_EVENT, CommandCode.SEQUENCE_COMPLETE, CommandCode.STIR_RANDOM,
            CommandCode.ACTIVATE_CREDENTIAL, CommandCode.MAKE_CREDENTIAL, CommandCode.POLICY_SECRET,
            CommandCode.CREATE, CommandCode.LOAD, CommandCode.QUOTE, CommandCode.SEQUENCE_UPDATE, CommandCode.SIGN,
            CommandCode.START_AUTH_SESSION, CommandCode.HASH, CommandCode.POLICY_PCR,
            CommandCode.EVENT_SEQUENCE_COMPLETE, CommandCode.HASH_SEQUENCE_START, CommandCode.CREATE_LOADED,
            CommandCode.RSA_ENCRYPT, CommandCode.RSA_DECRYPT, CommandCode.LOAD_EXTERNAL,
            CommandCode.VERIFY_SIGNATURE, CommandCode.OBJECT_CHANGE_AUTH, CommandCode.CERTIFY);

    /** Commands whose first response parameter is a TPM2B (may be encrypted by the TPM). */
    private static final Set<CommandCode> ENCRYPT = EnumSet.of(CommandCode.CREATE_PRIMARY,
            CommandCode.SEQUENCE_COMPLETE, CommandCode.ACTIVATE_CREDENTIAL, CommandCode.MAKE_CREDENTIAL,
            CommandCode.NV_READ, CommandCode.POLICY_SECRET, CommandCode.CREATE, CommandCode.LOAD, CommandCode.QUOTE,
            CommandCode.UNSEAL, CommandCode.NV_READ_PUBLIC, CommandCode.READ_PUBLIC, CommandCode.START_AUTH_SESSION,
            CommandCode.GET_RANDOM, CommandCode.HASH, CommandCode.POLICY_GET_DIGEST, CommandCode.CREATE_LOADED,
            CommandCode.RSA_ENCRYPT, CommandCode.RSA_DECRYPT, CommandCode.LOAD_EXTERNAL,
            CommandCode.OBJECT_CHANGE_AUTH, CommandCode.CERTIFY);

    static boolean decrypts(CommandCode cc) {
        return DECRYPT.contains(cc);
    }

    static boolean encrypts(CommandCode cc) {
        return ENCRYPT.contains(cc);
    }

    /**
     * Encrypts (or decrypts) in place the TPM2B at {@code off} of {@code buf} (its size field
     * included); returns false if its size field says more bytes than {@code end - off - 2}.
     * {@code nonceNewer} is the sender's nonce (nonceCaller for a command, the new nonceTPM for a
     * response), {@code nonceOlder} the other one.
     */
    static boolean apply(boolean encrypt, Authorisation.AuthSession s, byte[] key, byte[] nonceNewer,
                         byte[] nonceOlder, byte[] buf, int off, int end) {
        if (end - off < 2) {
            return false;
        }
        int size = ((buf[off] & 0xFF) << 8) | (buf[off + 1] & 0xFF);
        if (size > end - off - 2) {
            return false;
        }
        int data = off + 2;
        if (s.symAlg == ALG_XOR) {
            // Part 1 21.2: mask = KDFa(sessionAlg, key, "XOR", nonceNewer, nonceOlder, size * 8)
            byte[] mask = Crypto.kdfa(s.alg, key, "XOR", nonceNewer, nonceOlder, size * 8);
            for (int i = 0; i < size; i++) {
                buf[data + i] ^= mask[i];
            }
            return true;
        }
        // Part 1 21.3: key || iv = KDFa(sessionAlg, key, "CFB", nonceNewer, nonceOlder, keyBits + 128)
        int keyBytes = s.symKeyBits / 8;
        byte[] kv = Crypto.kdfa(s.alg, key, "CFB", nonceNewer, nonceOlder, s.symKeyBits + AES_BLOCK * 8);
        byte[] aesKey = java.util.Arrays.copyOf(kv, keyBytes);
        byte[] iv = java.util.Arrays.copyOfRange(kv, keyBytes, keyBytes + AES_BLOCK);
        byte[] in = java.util.Arrays.copyOfRange(buf, data, data + size);
        byte[] out = Crypto.aesCfb(encrypt, aesKey, iv, in);
        System.arraycopy(out, 0, buf, data, size);
        return true;
    }
}
