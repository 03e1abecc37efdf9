package org.qemu.helpers.tpmstub.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.testing.Tools;
import org.qemu.helpers.tpmstub.Swtpm;

/**
 * Parameter encryption with XOR and AES-256-CFB (tpm2-tools 5.4 starts only AES-128-CFB sessions:
 * {@code -G xor} is "Invalid symmetric algorithm") driven by a caller written here (Part 1 19.6,
 * 21), against swtpm and this engine with the same command stream: a bound HMAC session whose
 * sessionKey comes from ownerAuth encrypts NV_DefineSpace's authValue and NV_Write's data and
 * decrypts NV_Read's and GetRandom's answers; the response HMACs must verify, the NV contents read
 * back with a password session must be the data, and the answers must be alike on both TPMs.
 */
class ParameterEncryptionTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] OWNER_AUTH = "ownerpw".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NV_AUTH = "nvpw".getBytes(StandardCharsets.US_ASCII);
    private static final long NV_INDEX = 0x01500020L;
    private static final byte[] DATA = "sent through an encrypted session".getBytes(StandardCharsets.US_ASCII);

    interface Tpm {
        byte[] send(byte[] cmd) throws Exception;
    }

    /** The caller's half of one HMAC session. */
    private static final class Caller {
        final int symAlg;
        final int keyBits;
        long handle;
        byte[] nonceTpm;
        byte[] nonceCaller;
        byte[] sessionKey;
        final Random random = new Random(7);

        Caller(int symAlg, int keyBits) {
            this.symAlg = symAlg;
            this.keyBits = keyBits;
        }

        byte[] nextNonce() {
            byte[] n = new byte[32];
            random.nextBytes(n);
            return n;
        }

        /** Encrypts or decrypts the TPM2B at off in place, as Part 1 21.2/21.3 say. */
        void crypt(boolean encrypt, byte[] key, byte[] newer, byte[] older, byte[] buf, int off) {
            int size = ((buf[off] & 0xff) << 8) | (buf[off + 1] & 0xff);
            byte[] data = Arrays.copyOfRange(buf, off + 2, off + 2 + size);
            byte[] out;
            if (symAlg == ParameterEncryption.ALG_XOR) {
                byte[] mask = Crypto.kdfa(HashAlg.SHA256, key, "XOR", newer, older, size * 8);
                out = new byte[size];
                for (int i = 0; i < size; i++) {
                    out[i] = (byte) (data[i] ^ mask[i]);
                }
            } else {
                byte[] kv = Crypto.kdfa(HashAlg.SHA256, key, "CFB", newer, older, keyBits + 128);
                out = Crypto.aesCfb(encrypt, Arrays.copyOf(kv, keyBits / 8),
                        Arrays.copyOfRange(kv, keyBits / 8, keyBits / 8 + 16), data);
            }
            System.arraycopy(out, 0, buf, off + 2, size);
        }
    }

    private static byte[] cat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    private static byte[] u32(long v) {
        return ByteBuffer.allocate(4).putInt((int) v).array();
    }

    private static byte[] u16(int v) {
        return ByteBuffer.allocate(2).putShort((short) v).array();
    }

    private static byte[] tpm2b(byte[] b) {
        return cat(u16(b.length), b);
    }

    private static byte[] command(int tag, int cc, byte[] handles, byte[] auth, byte[] params) {
        byte[] body = tag == TpmEngine.ST_SESSIONS ? cat(handles, u32(auth.length), auth, params) : cat(handles, params);
        return cat(u16(tag), u32(10 + body.length), u32(cc), body);
    }

    private static final byte[] PW = cat(u32(TpmEngine.RS_PW), u16(0), new byte[] {1}, u16(0));

    private static byte[] pw(byte[] auth) {
        return cat(u32(TpmEngine.RS_PW), u16(0), new byte[] {1}, tpm2b(auth));
    }

    private static int rc(byte[] r) {
        return ByteBuffer.wrap(r, 6, 4).getInt();
    }

    /**
     * Sends cc with the caller's session (attributes attrs, authorising the handles whose Names are
     * given, with authValue for the HMAC key unless the session is bound to that entity); returns the
     * response parameters after decrypting them if attrs has encrypt, or "rc 0x..." on an error; checks
     * the response HMAC.
     */
    private static Object withSession(Tpm tpm, Caller s, int cc, byte[][] handles, byte[][] names, byte[] hmacAuth,
                                      byte[] cryptAuth, int attrs, byte[] params, int responseHandles,
                                      List<String> out) throws Exception {
        s.nonceCaller = s.nextNonce();
        byte[] p = params.clone();
        if ((attrs & 0x20) != 0 && p.length >= 2) {
            s.crypt(true, cat(s.sessionKey, cryptAuth), s.nonceCaller, s.nonceTpm, p, 0);
        }
        byte[] cpHash = Crypto.hash(HashAlg.SHA256, cat(u32(cc), cat(names), p));
        byte[] hmac = Crypto.hmac(HashAlg.SHA256, cat(s.sessionKey, hmacAuth), cpHash, s.nonceCaller, s.nonceTpm,
                new byte[] {(byte) attrs});
        byte[] auth = cat(u32(s.handle), tpm2b(s.nonceCaller), new byte[] {(byte) attrs}, tpm2b(hmac));
        byte[] r = tpm.send(command(TpmEngine.ST_SESSIONS, cc, cat(handles), auth, p));
        if (rc(r) != 0) {
            return "rc 0x" + Integer.toHexString(rc(r));
        }
        ByteBuffer b = ByteBuffer.wrap(r, 10 + 4 * responseHandles, r.length - 10 - 4 * responseHandles);
        int paramSize = b.getInt();
        byte[] rp = new byte[paramSize];
        b.get(rp);
        byte[] nonceTpm = new byte[b.getShort()];
        b.get(nonceTpm);
        int rattrs = b.get() & 0xff;
        byte[] rhmac = new byte[b.getShort()];
        b.get(rhmac);
        s.nonceTpm = nonceTpm;
        byte[] rpHash = Crypto.hash(HashAlg.SHA256, cat(u32(0), u32(cc), rp));
        byte[] want = Crypto.hmac(HashAlg.SHA256, cat(s.sessionKey, hmacAuth), rpHash, nonceTpm, s.nonceCaller,
                new byte[] {(byte) rattrs});
        out.add(Integer.toHexString(cc) + " response hmac " + Arrays.equals(want, rhmac));
        if ((attrs & 0x40) != 0) {
            s.crypt(false, cat(s.sessionKey, cryptAuth), nonceTpm, s.nonceCaller, rp, 0);
        }
        return rp;
    }

    private static List<String> flow(Tpm tpm, int symAlg, int keyBits) throws Exception {
        List<String> out = new ArrayList<>();
        tpm.send(command(TpmEngine.ST_NO_SESSIONS, 0x144, new byte[0], null, u16(0)));
        byte[] owner = u32(TpmEngine.RH_OWNER);
        out.add("changeauth rc " + rc(tpm.send(command(TpmEngine.ST_SESSIONS, 0x129, owner, PW, tpm2b(OWNER_AUTH)))));
        // StartAuthSession: no salt, bound to the owner, HMAC, the cipher, SHA-256
        Caller s = new Caller(symAlg, keyBits);
        byte[] nonceCaller = s.nextNonce();
        byte[] sym = symAlg == ParameterEncryption.ALG_XOR ? cat(u16(symAlg), u16(0x000B))
                : cat(u16(symAlg), u16(keyBits), u16(0x0043));
        byte[] r = tpm.send(command(TpmEngine.ST_NO_SESSIONS, 0x176, cat(u32(TpmEngine.RH_NULL), owner), null,
                cat(tpm2b(nonceCaller), u16(0), new byte[] {0}, sym, u16(0x000B))));
        out.add("startauthsession rc " + rc(r));
        ByteBuffer b = ByteBuffer.wrap(r, 10, r.length - 10);
        s.handle = b.getInt() & 0xFFFFFFFFL;
        s.nonceTpm = new byte[b.getShort()];
        b.get(s.nonceTpm);
        s.sessionKey = Crypto.kdfa(HashAlg.SHA256, OWNER_AUTH, "ATH", s.nonceTpm, nonceCaller, 256);

        // GetRandom, the session only encrypting the answer (no authValue anywhere)
        Object rnd = withSession(tpm, s, 0x17B, new byte[0][], new byte[0][], new byte[0], new byte[0], 0x41, u16(16),
                0, out);
        out.add("getrandom " + (rnd instanceof byte[] bytes ? "size field " + ((bytes[0] << 8) | bytes[1]) : rnd));
        // NV_DefineSpace by the owner (the bound entity: no authValue in the HMAC key, but in the cipher key)
        byte[] nvPublic = cat(u32(NV_INDEX), u16(0x000B), u32(0x02040004L), u16(0), u16(64)); // AUTHWRITE|AUTHREAD|NO_DA
        Object def = withSession(tpm, s, 0x12A, new byte[][] {owner}, new byte[][] {owner}, new byte[0], OWNER_AUTH,
                0x21, cat(tpm2b(NV_AUTH), tpm2b(nvPublic)), 0, out);
        out.add("nv_definespace " + (def instanceof byte[] ? "ok" : def));
        // the index's Name as NV_ReadPublic gives it
        byte[] rp = tpm.send(command(TpmEngine.ST_NO_SESSIONS, 0x169, u32(NV_INDEX), null, new byte[0]));
        ByteBuffer pb = ByteBuffer.wrap(rp, 10, rp.length - 10);
        pb.position(pb.position() + 2 + pb.getShort(pb.position()));
        byte[] name = new byte[pb.getShort()];
        pb.get(name);
        // NV_Write with the index's own authValue: data encrypted under sessionKey || "nvpw"
        byte[] idx = u32(NV_INDEX);
        Object w = withSession(tpm, s, 0x137, new byte[][] {idx, idx}, new byte[][] {name, name}, NV_AUTH, NV_AUTH,
                0x21, cat(tpm2b(DATA), u16(0)), 0, out);
        out.add("nv_write " + (w instanceof byte[] ? "ok" : w));
        // read back with a password session: what was written is the plaintext
        byte[] read = tpm.send(command(TpmEngine.ST_SESSIONS, 0x14E, cat(idx, idx), pw(NV_AUTH),
                cat(u16(DATA.length), u16(0))));
        out.add("nv_read password " + HEX.formatHex(read));
        // the Name changed when the index was written
        rp = tpm.send(command(TpmEngine.ST_NO_SESSIONS, 0x169, u32(NV_INDEX), null, new byte[0]));
        pb = ByteBuffer.wrap(rp, 10, rp.length - 10);
        pb.position(pb.position() + 2 + pb.getShort(pb.position()));
        name = new byte[pb.getShort()];
        pb.get(name);
        Object enc = withSession(tpm, s, 0x14E, new byte[][] {idx, idx}, new byte[][] {name, name}, NV_AUTH, NV_AUTH,
                0x41, cat(u16(DATA.length), u16(0)), 0, out);
        out.add("nv_read encrypted " + (enc instanceof byte[] bytes
                ? new String(Arrays.copyOfRange(bytes, 2, bytes.length), StandardCharsets.US_ASCII) : enc));
        // decrypt on a command without a TPM2B first parameter: TPM_RC_ATTRIBUTES for session 1
        Object bad = withSession(tpm, s, 0x134, new byte[][] {idx, idx}, new byte[][] {name, name}, NV_AUTH, NV_AUTH,
                0x21, new byte[0], 0, out);
        out.add("nv_increment with decrypt " + bad);
        return out;
    }

    private static List<String> both(int symAlg, int keyBits) throws Exception {
        Tools.require("swtpm", "swtpm");
        List<String> theirs;
        try (Swtpm sw = Swtpm.start("not-need-init")) {
            theirs = flow(sw::command, symAlg, keyBits);
        }
        TpmEngine engine = TestEngines.allBanks();
        List<String> ours = flow(cmd -> engine.execute(cmd, 0).response(), symAlg, keyBits);
        assertEquals(String.join("\n", theirs), String.join("\n", ours));
        return theirs;
    }

    private static void expectWorked(List<String> theirs) {
        assertEquals("changeauth rc 0", theirs.get(0));
        assertEquals("startauthsession rc 0", theirs.get(1));
        assertEquals(List.of(), theirs.stream().filter(l -> l.contains("response hmac false")).toList());
        assertEquals("getrandom size field 16", theirs.get(3));
        assertEquals(true, theirs.contains("nv_read encrypted " + new String(DATA, StandardCharsets.US_ASCII)),
                theirs.toString());
        assertEquals(true, theirs.stream().anyMatch(l -> l.startsWith("nv_read password ")
                && l.contains(HEX.formatHex(tpm2b(DATA)))), theirs.toString());
        assertEquals("nv_increment with decrypt rc 0x982", theirs.get(theirs.size() - 1));
    }

    @Test
    void xorParameterEncryptionWorksAsOnSwtpm() throws Exception {
        expectWorked(both(ParameterEncryption.ALG_XOR, 0));
    }

    @Test
    void aes256CfbParameterEncryptionWorksAsOnSwtpm() throws Exception {
        expectWorked(both(PublicArea.ALG_AES, 256));
    }
}
