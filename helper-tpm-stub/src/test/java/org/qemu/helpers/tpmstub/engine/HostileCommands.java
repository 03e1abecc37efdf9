package org.qemu.helpers.tpmstub.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.qemu.helpers.tpmstub.Hex;

/** Valid commands of every implemented kind, and random truncation / mutation of them. */
public final class HostileCommands {
    private HostileCommands() { }

    private static final String PW = "00000009 40000009 0000 01 0000";

    public static List<byte[]> validCommands() {
        List<String> hex = new ArrayList<>(List.of(
            "8001 00000000 00000144 0000",
            "8001 00000000 00000145 0000",
            "8001 00000000 00000145 0001",
            "8001 00000000 00000143 01",
            "8001 00000000 0000017b 0010",
            "8001 00000000 00000146 0004 01020304",
            "8001 00000000 0000017a 00000000 00000000 00000040",
            "8001 00000000 0000017a 00000005 00000000 00000001",
            "8001 00000000 0000017a 00000006 00000100 0000007f",
            "8001 00000000 0000017a 00000006 00000200 0000007f",
            "8001 00000000 0000017a 00000001 00000000 00000040",
            "8001 00000000 0000017a 00000007 00000000 00000040",
            "8001 00000000 0000017e 00000002 000403ffffff 000b03ffffff",
            "8001 00000000 0000017e 00000001 000d03010080",
            "8002 00000000 00000182 00000010" + PW + " 00000001 000b" + "ab".repeat(32),
            "8002 00000000 00000182 00000007" + PW + " 00000002 0004" + "01".repeat(20) + "000c" + "02".repeat(48),
            "8002 00000000 0000013c 00000017" + PW + " 0005 6576656e74",
            "8002 00000000 0000013d 00000010" + PW,
            "8002 00000000 00000129 4000000c" + PW + " 0000",
            "8002 00000000 00000129 40000001" + PW + " 0000",
            "8001 00000000 00000181",
            "8001 00000000 0000017d 0003 616263 000b 40000007",
            "8001 00000000 0000017d 0004 ff544347 0004 40000001",
            "8001 00000000 00000186 0002 6162 000b",
            "8001 00000000 00000186 0000 0010",
            "8002 00000000 0000015c 80000000" + PW + " 0005 6576656e74",
            "8002 00000000 0000013e 80000000" + PW + " 0001 78 40000007",
            "8002 00000000 00000185 00000009 80000000 00000012 40000009 0000 01 0000 40000009 0000 01 0000 0001 79",
            "8001 00000000 0000017a 00000001 80000000 00000010"));
        return cmds(hex);
    }

    /** NV commands: hostile seeds for HostileInputTest, not (yet) compared with swtpm when mutated. */
    public static List<byte[]> nvCommands() {
        List<String> hex = List.of(
            "8002 00000000 0000012a 40000001" + PW + " 0002 7077 000e 01000001 000b 02060006 0000 0020",
            "8002 00000000 0000012a 40000001" + PW + " 0000 000e 01000002 000b 02060016 0000 0008",
            "8002 00000000 0000012a 40000001" + PW + " 0000 000e 01000003 000b 00060046 0000 0020",
            "8001 00000000 00000169 01000001",
            "8002 00000000 00000137 01000001 01000001 0000000b 40000009 0000 01 0002 7077 0003 010203 0002",
            "8002 00000000 00000137 40000001 01000001" + PW + " 0001 ff 0000",
            "8002 00000000 0000014e 40000001 01000001" + PW + " 0010 0004",
            "8002 00000000 0000014e 01000001 01000001 0000000b 40000009 0000 01 0002 7077 0004 0000",
            "8002 00000000 00000134 40000001 01000002" + PW,
            "8002 00000000 00000136 01000003 01000003" + PW + " 0002 6162",
            "8002 00000000 00000122 40000001 01000002" + PW,
            "8001 00000000 0000017a 00000001 01000000 00000010");
        return cmds(hex);
    }

    static final String ECC_TEMPLATE = "001a 0023 000b 00030072 0000 0006 0080 0043 0010 0003 0010 0000 0000";
    static final String RSA_TEMPLATE = "001a 0001 000b 00030072 0000 0006 0080 0043 0010 0800 00000000 0000";
    static final String SIGN_TEMPLATE = "0018 0023 000b 00040072 0000 0010 0018 000b 0003 0010 0000 0000";
    /** A TPM2B_PUBLIC of an RSA-2048 sign+decrypt key with a (made-up) modulus, for LoadExternal. */
    static final String RSA_PUB = "0116 0001 000b 00060072 0000 0010 0010 0800 00000000 0100c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5";
    static final String SEAL_TEMPLATE = "000e 0008 000b 00000052 0000 0010 0000";
    /**
     * TPM2B_PUBLICs of endorsement-key-like keys for LoadExternal (restricted decryption, AES-128-CFB,
     * the TCG EK attributes): RSA-2048 with a made-up modulus, and P-256 with the curve's generator as
     * its point. MakeCredential needs only such a public part.
     */
    public static final String RSA_EK_PUB = "011a 0001 000b 000300b2 0000 0006 0080 0043 0010 0800 00000000 0100"
            + "c5".repeat(256);
    public static final String ECC_EK_PUB = "005a 0023 000b 000300b2 0000 0006 0080 0043 0010 0003 0010"
            + " 0020 6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
            + " 0020 4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";

    /**
     * Keys, contexts, policy sessions and quotes (issue 16 step 4): hostile seeds for HostileInputTest.
     * The CreatePrimary templates are tpm2-tools' SRK ones; 0x80000000 is whatever the slot holds.
     */
    public static List<byte[]> keyCommands() {
        String session = " 00000009 03000000 0000 01 0000";
        List<String> hex = List.of(
            "8002 00000000 00000131 40000001" + PW + " 0004 0000 0000 " + ECC_TEMPLATE + " 0000 00000000",
            "8002 00000000 00000131 4000000b" + PW + " 0004 0000 0000 " + ECC_TEMPLATE + " 0002 6f69 00000001 000b03800000",
            "8002 00000000 00000131 40000007" + PW + " 0004 0000 0000 " + RSA_TEMPLATE + " 0000 00000000",
            "8002 00000000 00000131 40000001" + PW + " 0009 0002 7077 0003 616263 " + SEAL_TEMPLATE + " 0000 00000000",
            "8002 00000000 00000153 80000000" + PW + " 0004 0000 0000 " + SIGN_TEMPLATE + " 0000 00000000",
            "8002 00000000 00000131 40000001" + PW + " 0004 0000 0000 " + SIGN_TEMPLATE + " 0000 00000000",
            "8002 00000000 00000158 80000002" + PW + " 0004 01020304 0018 000b 00000001 000b 03 ff0000",
            "8002 00000000 00000153 80000000" + PW + " 0008 0000 0004 73656372 " + SEAL_TEMPLATE + " 0000 00000000",
            "8002 00000000 00000157 80000000" + PW + " 0024 0020" + "5a".repeat(32) + " 0000 " + SIGN_TEMPLATE,
            "8001 00000000 00000173 80000000",
            "8001 00000000 00000173 81000001",
            "8002 00000000 00000191 80000000" + PW + " 0004 0000 0000 " + SIGN_TEMPLATE,
            "8002 00000000 00000191 4000000b" + PW + " 0004 0000 0000 " + ECC_TEMPLATE,
            "8002 00000000 0000015e 80000001 0000000b 40000009 0000 01 0002 7077",
            "8002 00000000 0000015e 80000001" + session,
            "8001 00000000 00000162 80000000",
            "8001 00000000 00000162 03000000",
            "8001 00000000 00000161 0000000000000001 80000000 40000001 0024 0020" + "77".repeat(32) + " 00000000",
            "8001 00000000 00000161 0000000000000002 03000000 40000007 0022 0020" + "66".repeat(32),
            "8002 00000000 00000120 40000001 80000000" + PW + " 81000001",
            "8002 00000000 00000120 40000001 81000001" + PW + " 81000001",
            "8001 00000000 00000176 40000007 40000007 0020" + "11".repeat(32) + " 0000 01 0010 000b",
            "8001 00000000 00000176 40000007 40000007 0020" + "12".repeat(32) + " 0000 03 0010 000b",
            "8001 00000000 0000017f 03000000 0000 00000001 000b 03 800000",
            "8001 00000000 0000017f 03000000 0020" + "00".repeat(32) + " 00000001 000b 03 800000",
            "8001 00000000 00000189 03000000",
            "8001 00000000 0000016b 03000000",
            "8001 00000000 0000018c 03000000",
            "8001 00000000 00000180 03000000",
            "8001 00000000 0000016c 03000000 0000015e",
            "8002 00000000 00000151 4000000b 03000000" + PW + " 0000 0000 0000 00000000",
            "8002 00000000 00000158 80000000" + PW + " 0004 01020304 0018 000b 00000001 000b 03 ff0000",
            "8002 00000000 00000158 80000000" + PW + " 0000 0010 00000001 000b 03 ff0000",
            "8002 00000000 0000015d 80000002" + PW + " 0020" + "ab".repeat(32) + " 0018 000b 8024 40000007 0000",
            "8002 00000000 0000015d 80000001" + PW + " 0020" + "cd".repeat(32) + " 0010 8024 40000001 0000",
            "8001 00000000 00000165 03000000",
            "8002 00000000 00000147 80000002 80000000 00000012 40000009 0000 01 0000 40000009 0000 01 0000"
                + " 0024 0020" + "44".repeat(32) + " 0000 0044 0020" + "55".repeat(32) + " 0020" + "66".repeat(32),
            // salted, bound, XOR and AES sessions; sessions that decrypt and encrypt; PolicyOR
            "8001 00000000 00000176 40000007 40000007 0020" + "13".repeat(32) + " 0000 00 000a 000b 000b",
            "8001 00000000 00000176 80000000 40000007 0020" + "14".repeat(32) + " 0100" + "ab".repeat(256)
                + " 00 0006 0080 0043 000b",
            "8001 00000000 00000176 80000001 40000007 0020" + "15".repeat(32) + " 0044 0020" + "01".repeat(32)
                + " 0020" + "02".repeat(32) + " 01 0006 0080 0043 000b",
            "8001 00000000 00000176 40000007 40000001 0020" + "16".repeat(32) + " 0000 00 0006 0080 0043 000b",
            "8001 00000000 00000176 40000007 80000000 0020" + "17".repeat(32) + " 0000 00 0006 0080 0043 000b",
            "8002 00000000 0000015e 80000001 00000049 02000000 0020" + "aa".repeat(32) + " 41 0020" + "bb".repeat(32),
            "8002 00000000 0000015e 80000001 00000049 02000000 0020" + "aa".repeat(32) + " 21 0020" + "bb".repeat(32),
            "8002 00000000 00000153 80000000 00000052" + PW.substring(9) + " 02000000 0020" + "cc".repeat(32)
                + " 61 0020" + "dd".repeat(32) + " 0008 0000 0004 73656372 " + SEAL_TEMPLATE + " 0000 00000000",
            "8002 00000000 0000017b 00000049 02000000 0020" + "ee".repeat(32) + " 41 0020" + "ff".repeat(32) + " 0010",
            "8001 00000000 00000171 03000000 00000002 0020" + "00".repeat(32) + " 0020" + "11".repeat(32),
            "8001 00000000 00000171 03000000 00000009 0000 0000 0000 0000 0000 0000 0000 0000 0000",
            // RSA_Encrypt/Decrypt, VerifySignature, LoadExternal, ObjectChangeAuth, Certify, Clear
            "8001 00000000 00000174 80000000 0010" + "41".repeat(16) + " 0017 000b 0006 6c6162656c00",
            "8001 00000000 00000174 80000001 0004 01020304 0015 0000",
            "8001 00000000 00000174 80000002 0100" + "ff".repeat(256) + " 0010 0000",
            "8002 00000000 00000159 80000000" + PW + " 0100" + "33".repeat(256) + " 0017 000b 0000",
            "8002 00000000 00000159 80000001" + PW + " 0004 01020304 0010 0000",
            "8001 00000000 00000177 80000002 0020" + "ab".repeat(32) + " 0014 000b 0100" + "01".repeat(256),
            "8001 00000000 00000177 80000001 0020" + "ab".repeat(32) + " 0018 000b 0020" + "02".repeat(32)
                + " 0020" + "03".repeat(32),
            "8001 00000000 00000167 0000 " + RSA_PUB + " 40000007",
            "8001 00000000 00000167 0000 " + RSA_PUB + " 40000001",
            "8001 00000000 00000167 0008 0001 0000 0000 0000 " + RSA_PUB + " 40000007",
            "8001 00000000 00000167 0000 0056 0023 000b 00040072 0000 0010 0010 0003 0010 0020" + "01".repeat(32)
                + " 0020" + "02".repeat(32) + " 40000007",
            "8002 00000000 00000150 80000001 80000000" + PW + " 0003 6e6577",
            "8002 00000000 00000150 80000002 80000001" + PW + " 0000",
            "8002 00000000 00000148 80000001 80000002 00000012 40000009 0000 01 0000 40000009 0000 01 0000"
                + " 0004 01020304 0014 000b",
            "8002 00000000 00000148 80000001 40000007 00000012 40000009 0000 01 0000 40000009 0000 01 0000"
                + " 0000 0010",
            // MakeCredential: for the SRK in slot 0, for EK publics loaded with LoadExternal, for whatever is loaded
            "8001 00000000 00000168 80000000 0010" + "c1".repeat(16) + " 0022 000b" + "ab".repeat(32),
            "8001 00000000 00000167 0000 " + RSA_EK_PUB + " 40000007",
            "8001 00000000 00000167 0000 " + ECC_EK_PUB + " 4000000b",
            "8001 00000000 00000168 80000001 0020" + "c2".repeat(32) + " 0022 000b" + "cd".repeat(32),
            "8001 00000000 00000168 80000002 0000 0000",
            "8001 00000000 00000168 81000001 0004 01020304 0004 000b0102",
            "8002 00000000 00000126 4000000c" + PW,
            "8002 00000000 00000126 4000000a" + PW,
            "8002 00000000 00000127 4000000a" + PW + " 01",
            "8002 00000000 00000127 4000000a" + PW + " 00",
            "8002 00000000 00000127 4000000c" + PW + " 02",
            "8001 00000000 0000017a 00000001 81000000 00000010",
            "8001 00000000 0000017a 00000001 03000000 00000010");
        return cmds(hex);
    }

    private static List<byte[]> cmds(List<String> hex) {
        List<byte[]> out = new ArrayList<>();
        for (String h : hex) {
            out.add(Hex.cmd(h));
        }
        return out;
    }

    private static final java.util.Set<Long> NV_CC = java.util.Set.of(0x12AL, 0x122L, 0x169L, 0x137L, 0x134L, 0x136L,
            0x14EL);

    private static boolean implemented(byte[] c) {
        if (c.length < 10) {
            return true;
        }
        long cc = ((c[6] & 0xFFL) << 24) | ((c[7] & 0xFF) << 16) | ((c[8] & 0xFF) << 8) | (c[9] & 0xFF);
        // session commands are left out: their replies carry fresh nonces and libtpms keeps more kinds
        // and mutated NV commands still differ from libtpms in places (see README)
        return (CommandCode.byCode(cc) != null && cc != 0x176 && cc != 0x165 && !NV_CC.contains(cc)) || cc == 0x999;
    }

    /**
     * A random variant of {@code base}: bit flips, byte overwrites, truncation, extension, size-field
     * and length-field damage. With {@code keepComparable}, the result is at least 10 bytes long and
     * names an implemented (or clearly unimplemented) command code, so swtpm can be compared.
     */
    public static byte[] mutate(byte[] base, Random rnd, boolean keepComparable) {
        byte[] c = base.clone();
        int ops = 1 + rnd.nextInt(3);
        for (int k = 0; k < ops && c.length > 0; k++) {
            switch (rnd.nextInt(8)) {
                case 0 -> { // flip a bit
                    int i = rnd.nextInt(c.length);
                    c[i] ^= (byte) (1 << rnd.nextInt(8));
                }
                case 1 -> { // overwrite a byte
                    c[rnd.nextInt(c.length)] = (byte) rnd.nextInt(256);
                }
                case 2 -> { // truncate, keeping the size field honest
                    c = Arrays.copyOf(c, Math.max(keepComparable ? 10 : 0, rnd.nextInt(c.length + 1)));
                    fixSize(c);
                }
                case 3 -> { // append junk
                    byte[] more = new byte[1 + rnd.nextInt(16)];
                    rnd.nextBytes(more);
                    byte[] n = Arrays.copyOf(c, c.length + more.length);
                    System.arraycopy(more, 0, n, c.length, more.length);
                    c = n;
                    fixSize(c);
                }
                case 4 -> { // damage a u16/u32 length-looking field after the header
                    if (c.length > 12) {
                        int i = 10 + rnd.nextInt(c.length - 11);
                        c[i] = (byte) (rnd.nextBoolean() ? 0xFF : 0x00);
                        c[i + 1] = (byte) rnd.nextInt(256);
                    }
                }
                case 5 -> { // damage the size field itself
                    if (c.length >= 6) {
                        c[2 + rnd.nextInt(4)] = (byte) rnd.nextInt(256);
                    }
                }
                case 6 -> { // swap in a random command code
                    if (c.length >= 10) {
                        int[] ccs = {0x144, 0x145, 0x143, 0x17b, 0x146, 0x17a, 0x17e, 0x182, 0x13c, 0x13d, 0x129,
                            0x181, 0x999};
                        int cc = ccs[rnd.nextInt(ccs.length)];
                        c[6] = 0;
                        c[7] = 0;
                        c[8] = (byte) (cc >>> 8);
                        c[9] = (byte) cc;
                    }
                }
                default -> { // random tag
                    if (c.length >= 2) {
                        c[0] = (byte) (rnd.nextInt(4) == 0 ? rnd.nextInt(256) : 0x80);
                        c[1] = (byte) (rnd.nextBoolean() ? 0x01 : 0x02);
                    }
                }
            }
        }
        if (keepComparable) {
            if (c.length < 10) {
                c = Arrays.copyOf(c, 10);
            }
            if (!implemented(c)) {
                System.arraycopy(base, 6, c, 6, 4);
            }
        }
        return c;
    }

    private static void fixSize(byte[] c) {
        if (c.length >= 6) {
            int n = c.length;
            c[2] = (byte) (n >>> 24);
            c[3] = (byte) (n >>> 16);
            c[4] = (byte) (n >>> 8);
            c[5] = (byte) n;
        }
    }
}
