package org.qemu.helpers.tpmstub.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.tpmstub.Hex;
import org.qemu.helpers.tpmstub.Swtpm;

/**
 * The engine against real swtpm 0.7 (libtpms 0.9): the same command streams must give
 * byte-identical responses. Only GetRandom/ReadClock payloads (random, time) and the two
 * fixed properties counting implemented commands may differ, and are compared structurally.
 */
class SwtpmDifferentialTest {
    private Swtpm swtpm;
    private TpmEngine engine;
    private int locality;
    private final List<String> transcript = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        swtpm = Swtpm.start("not-need-init");
        engine = TestEngines.allBanks();
    }

    @AfterEach
    void stop() throws IOException {
        swtpm.close();
    }

    private static final String PW = "00000009 40000009 0000 01 0000";

    private byte[] same(String hex) throws IOException {
        return same(Hex.cmd(hex));
    }

    private byte[] same(byte[] cmd) throws IOException {
        byte[] theirs = swtpm.command(cmd);
        byte[] ours = engine.execute(cmd, locality).response();
        int cc = cmd.length >= 10 ? ByteBuffer.wrap(cmd, 6, 4).getInt() : 0;
        String what = "command " + Hex.str(cmd) + "\nafter:\n" + String.join("\n", transcript);
        boolean randomPayload = (cc == 0x17B || cc == 0x181) && theirs.length > 10
                && ByteBuffer.wrap(theirs, 6, 4).getInt() == 0;
        if (cc == 0x17A) {
            maskCommandCounts(theirs);
            maskCommandCounts(ours);
        }
        if (cc == 0x17D || cc == 0x13E) {
            maskTicketHmac(theirs);
            maskTicketHmac(ours);
        }
        int capability = cc == 0x17A && theirs.length > 14 && ByteBuffer.wrap(theirs, 6, 4).getInt() == 0
                ? ByteBuffer.wrap(theirs, 11, 4).getInt() : -1;
        boolean commandLists = (capability >= 2 && capability <= 4) || capability == 0 || capability == 8;
        if (commandLists) {
            // COMMANDS, PP_COMMANDS, AUDIT_COMMANDS, ALGS and ECC_CURVES list what is implemented:
            // only the outcome must match (algorithmsAreASubsetOfSwtpms checks the entries)
            assertEquals(Hex.str(java.util.Arrays.copyOf(theirs, 10)).substring(12),
                    Hex.str(java.util.Arrays.copyOf(ours, 10)).substring(12), what);
        } else if (randomPayload) {
            assertEquals(theirs.length, ours.length, what);
            assertArrayEquals(java.util.Arrays.copyOf(theirs, 10), java.util.Arrays.copyOf(ours, 10), what);
        } else {
            assertEquals(Hex.str(theirs), Hex.str(ours), what);
        }
        transcript.add(Hex.str(cmd) + " -> " + Hex.str(ours));
        return ours;
    }

    /** ALGS and ECC_CURVES: every entry this TPM lists, swtpm lists with the same attributes. */
    private void algorithmsAreASubsetOfSwtpms() throws IOException {
        byte[] cmd = Hex.cmd("8001 00000000 0000017a 00000000 00000000 00000100");
        String theirs = Hex.str(swtpm.command(cmd)).substring(38);
        String ours = Hex.str(engine.execute(cmd, locality).response()).substring(38);
        // rsa, sha1, hmac, aes, keyedhash, sha256, sha384, sha512, rsassa, ecdsa, ecc, cfb
        assertEquals(12 * 12, ours.length(), "the algorithms keys, hashes and sessions use: " + ours);
        for (int i = 0; i < ours.length(); i += 12) {
            assertTrue(theirs.contains(ours.substring(i, i + 12)), ours.substring(i, i + 12) + " not in " + theirs);
        }
        String curves = Hex.str(engine.execute(Hex.cmd("8001 00000000 0000017a 00000008 00000000 00000040"), 0)
                .response());
        assertEquals("800100000015000000000000000008000000010003", curves, "NIST P-256 only");
    }

    /**
     * Zeroes the HMAC of a TPMT_TK_HASHCHECK (tag 0x8024, a hierarchy other than TPM_RH_NULL, 64
     * bytes) in a successful response: it is keyed by each TPM's secret hierarchy proof.
     */
    private static void maskTicketHmac(byte[] r) {
        if (r.length < 10 + 72 || ByteBuffer.wrap(r, 6, 4).getInt() != 0) {
            return;
        }
        for (int o = r.length - 72; o >= Math.max(10, r.length - 72 - 16); o--) {
            ByteBuffer b = ByteBuffer.wrap(r, o, 8);
            if (b.getShort() == (short) 0x8024 && b.getInt() != 0x40000007 && b.getShort() == 0x40) {
                java.util.Arrays.fill(r, o + 8, o + 72, (byte) 0);
                return;
            }
        }
    }

    /**
     * Zeroes TPM_PT_TOTAL_COMMANDS / LIBRARY_COMMANDS / LOADED_CURVES in a TPM_PROPERTIES reply (they
     * count implemented commands and curves).
     */
    private static void maskCommandCounts(byte[] r) {
        if (r.length < 19 || ByteBuffer.wrap(r, 6, 4).getInt() != 0 || ByteBuffer.wrap(r, 11, 4).getInt() != 6) {
            return;
        }
        for (int off = 19; off + 8 <= r.length; off += 8) {
            int prop = ByteBuffer.wrap(r, off, 4).getInt();
            // + TPM_PT_LOADED_CURVES, and HR_PERSISTENT_AVAIL / NV_COUNTERS_AVAIL (estimates of free NV space)
            if (prop == 0x129 || prop == 0x12a || prop == 0x20d || prop == 0x209 || prop == 0x20b) {
                ByteBuffer.wrap(r, off + 4, 4).putInt(0);
            }
        }
    }

    private void ctrlInit() throws IOException {
        assertEquals("00000000", Hex.str(swtpm.ctrl(Hex.bytes("00000002 00000000"), 4)));
        swtpm.reconnect();
        engine.init(null);
        transcript.add("INIT");
    }

    private void setLocality(int loc) throws IOException {
        assertEquals("00000000", Hex.str(swtpm.ctrl(Hex.bytes("00000005 0" + loc), 4)));
        locality = loc;
        transcript.add("LOCALITY " + loc);
    }

    private static String digest(String alg, int fill) {
        int n = switch (alg) {
            case "0004" -> 20;
            case "000b" -> 32;
            case "000c" -> 48;
            default -> 64;
        };
        return alg + String.format("%02x", fill).repeat(n);
    }

    @Test
    void startupExtendsOnEveryBankAndPcrReadAreIdentical() throws IOException {
        same("8001 00000000 0000017e 00000001 000b03010000"); // before Startup: TPM_RC_INITIALIZE
        same("8001 00000000 00000144 0000");
        same("8001 00000000 00000144 0000");                  // second Startup
        same("8001 00000000 0000017e 00000004 000403ffffff 000b03ffffff 000c03ffffff 000d03ffffff");
        for (int pcr : new int[] {0, 1, 7, 10, 15, 16, 23}) {
            String h = String.format("%08x", pcr);
            same("8002 00000000 00000182 " + h + PW + " 00000004 " + digest("0004", pcr) + digest("000b", pcr + 1)
                    + digest("000c", pcr + 2) + digest("000d", pcr + 3));
            same("8002 00000000 00000182 " + h + PW + " 00000001 " + digest("000b", 0xAA));
            same("8002 00000000 00000182 " + h + PW + " 00000002 " + digest("000d", 1) + digest("000d", 2));
        }
        for (String bank : new String[] {"0004", "000b", "000c", "000d"}) {
            same("8001 00000000 0000017e 00000001 " + bank + "03ffffff");
            same("8001 00000000 0000017e 00000001 " + bank + "0300ff00");
            same("8001 00000000 0000017e 00000001 " + bank + "03000081");
        }
        same("8001 00000000 0000017e 00000004 000403ff0f00 000b0301ff00 000c03ffffff 000d03010000");
        same("8001 00000000 0000017e 00000002 000403070000 000b03010000");
        same("8001 00000000 0000017e 00000000");
        // PCR_Event on a PCR and on TPM_RH_NULL
        same("8002 00000000 0000013c 00000005" + PW + " 0003 616263");
        same("8002 00000000 0000013c 40000007" + PW + " 0000");
        same("8002 00000000 0000013c 00000017" + PW + " 0400 " + "5a".repeat(1024));
        same("8002 00000000 0000013c 00000017" + PW + " 0401 " + "5a".repeat(1025));
        same("8001 00000000 0000017e 00000002 000403ffffff 000d03200080");
        // PCR_Reset: resettable (16, 23) and not (0, 17 at locality 0)
        same("8002 00000000 0000013d 00000010" + PW);
        same("8002 00000000 0000013d 00000017" + PW);
        same("8002 00000000 0000013d 00000000" + PW);
        same("8002 00000000 0000013d 00000011" + PW);
        same("8002 00000000 0000013d 00000018" + PW);
        same("8001 00000000 0000017e 00000002 000403ffffff 000b03ffffff");
        same("8002 00000000 00000182 00000011" + PW + " 00000001 " + digest("000b", 1));
        same("8002 00000000 00000182 40000007" + PW + " 00000001 " + digest("000b", 1));
        same("8001 00000000 0000017e 00000001 000b03ffffff");
    }

    @Test
    void capabilitiesAreIdentical() throws IOException {
        same("8001 00000000 00000144 0000");
        algorithmsAreASubsetOfSwtpms();
        // ALGS and PCRS in full, from the middle, and with small counts
        same("8001 00000000 0000017a 00000000 00000000 00000040");
        same("8001 00000000 0000017a 00000000 00000000 00000400");
        same("8001 00000000 0000017a 00000000 00000010 00000005");
        same("8001 00000000 0000017a 00000000 00000044 00000004");
        same("8001 00000000 0000017a 00000000 00000000 00000000");
        same("8001 00000000 0000017a 00000005 00000000 00000001");
        same("8001 00000000 0000017a 00000005 00000000 00000000");
        same("8001 00000000 0000017a 00000005 00000001 00000001");
        // variable properties, PCR properties, handles, policies, curves
        same("8001 00000000 0000017a 00000006 00000200 0000007f");
        same("8001 00000000 0000017a 00000006 00000205 00000003");
        same("8001 00000000 0000017a 00000006 00000214 00000003");
        same("8001 00000000 0000017a 00000006 00000300 00000003");
        same("8001 00000000 0000017a 00000006 0000012f 00000003");
        same("8001 00000000 0000017a 00000006 00000100 00000003");
        same("8001 00000000 0000017a 00000006 00000000 00000008");
        same("8001 00000000 0000017a 00000006 00000100 00000000");
        same("8001 00000000 0000017a 00000007 00000000 00000040");
        same("8001 00000000 0000017a 00000007 00000005 00000003");
        same("8001 00000000 0000017a 00000001 00000000 00000040");
        same("8001 00000000 0000017a 00000001 00000016 00000003");
        same("8001 00000000 0000017a 00000001 40000000 00000040");
        same("8001 00000000 0000017a 00000001 40000008 00000003");
        same("8001 00000000 0000017a 00000001 80000000 00000040");
        same("8001 00000000 0000017a 00000001 81000000 00000040");
        same("8001 00000000 0000017a 00000001 01000000 00000040");
        same("8001 00000000 0000017a 00000001 02000000 00000040");
        same("8001 00000000 0000017a 00000001 03000000 00000040");
        same("8001 00000000 0000017a 00000001 05000000 00000040");
        same("8001 00000000 0000017a 00000009 40000000 00000040");
        same("8001 00000000 0000017a 00000009 4000000c 00000040");
        same("8001 00000000 0000017a 00000009 00000000 00000040");
        same("8001 00000000 0000017a 00000008 00000000 00000040");
        same("8001 00000000 0000017a 0000000a 00000000 00000040");
        same("8001 00000000 0000017a 0000000a 40000110 00000040");
        same("8001 00000000 0000017a 0000000b 00000000 00000040");
        same("8001 00000000 0000017a 00000100 00000000 00000040");
        same("8001 00000000 0000017a 00000006 00000100");
        same("8001 00000000 0000017a 00000006 00000100 00000001 00");
        // the fixed group: identical except TOTAL_COMMANDS / LIBRARY_COMMANDS (implemented commands)
        byte[] c = Hex.cmd("8001 00000000 0000017a 00000006 00000100 0000007f");
        byte[] theirs = swtpm.command(c);
        byte[] ours = engine.execute(c, 0).response();
        assertEquals(theirs.length, ours.length);
        for (int off = 19; off + 8 <= theirs.length; off += 8) {
            int prop = ByteBuffer.wrap(theirs, off, 4).getInt();
            if (prop != 0x129 && prop != 0x12a) {
                assertEquals(Hex.str(java.util.Arrays.copyOfRange(theirs, off, off + 8)),
                        Hex.str(java.util.Arrays.copyOfRange(ours, off, off + 8)), "property " + prop);
            }
        }
    }

    @Test
    void authorisationAndErrorsAreIdentical() throws IOException {
        same("8001 00000000 00000144 0000");
        same("8001 00000000 00000999");
        same("8001 00000000 00000000");
        same("8003 00000000 0000017b 0008");
        same("00c1 00000000 0000017b 0008");
        same("8001 00000000 0000017b");
        same("8001 00000000 0000017b 0008 00");
        same("8001 00000000 0000017b 0050");
        same("8001 00000000 00000182 00000010 00000000");
        same("8002 00000000 00000182 00000010 00000009 40000009 0000 00 0000 00000000");
        same("8002 00000000 00000182 00000010 00000009 40000009 0000 20 0000 00000000");
        same("8002 00000000 00000182 00000010 00000009 40000009 0000 18 0000 00000000");
        same("8002 00000000 00000182 00000010 0000000a 40000009 0001 01 0000 00000000");
        same("8002 00000000 00000182 00000010 0000000a 40000009 0000 01 0001 41 00000000");
        same("8002 00000000 00000182 00000010 0000000a 40000009 0000 01 0001 00 00000000");
        same("8002 00000000 00000182 00000010 00000012" + PW.substring(8) + PW.substring(8) + " 00000000");
        same("8002 00000000 00000182 00000010 00000009 02000000 0000 01 0000 00000000");
        same("8002 00000000 00000182 00000010 00000009 03000003 0000 01 0000 00000000");
        same("8002 00000000 00000182 00000010 00000009 02000040 0000 01 0000 00000000");
        same("8002 00000000 00000182 00000010 00000008 40000009 0000 01 00 00000000");
        same("8002 00000000 00000182 00000010 0000000b 40000009 0000 01 0000 00000000");
        same("8002 00000000 00000182 00000010 00000009 40000009 0041 01 0000 00000000");
        same("8002 00000000 00000182 00000010 000000ff 40000009 0000 01 0000 00000000");
        same("8002 00000000 00000182 00000010 00000009 40000009 0000 01 0000 00000005");
        same("8002 00000000 00000182 00000010 00000009 40000009 0000 01 0000 00000001 0010");
        same("8002 00000000 00000182 00000010 00000009 40000009 0000 01 0000 00000001 000b00");
        same("8002 00000000 00000182 00000010 00000009 40000009 0000 01 0000 00000000 00");
        same("8002 00000000 00000182 00000010 00000009 40000009 0000 01 0000");
        same("8002 00000000 00000182 000000");
        same("8002 00000000 0000017b 00000004 0000");
        same("8002 00000000 0000017b 00000009 0000");
        same("8002 00000000 0000017b" + PW + " 0010");
        same("8002 00000000 0000017b 00000024" + (PW.substring(8)).repeat(4) + " 0010");
        same("8002 00000000 00000144" + PW + " 0000");
        same("8001 00000000 00000143 02");
        same("8001 00000000 00000143 01");
        same("8002 00000000 00000143" + PW + " 00");
        same("8001 00000000 00000146 0080" + "11".repeat(128));
        same("8001 00000000 00000146 0081" + "11".repeat(129));
        same("8001 00000000 00000145 0002");
        same("8001 00000000 0000017e 00000001 000b020100");
        same("8001 00000000 0000017e 00000001 000b0401000000");
        same("8001 00000000 0000017e 00000001 001003010000");
        same("8001 00000000 0000017e 00000005 001003010000");
        same("8001 00000000 0000017e 00000001 000b0301");
        // hierarchy auth: platform, owner (trailing zeros), lockout lock-out
        same("8002 00000000 00000129 4000000c" + PW + " 0002 4142");
        same("8002 00000000 00000129 4000000c" + PW + " 0002 4142");
        same("8002 00000000 00000129 4000000c 0000000b 40000009 0000 01 0002 4142 0000");
        same("8002 00000000 00000129 40000001 0000000c 40000009 0000 01 0003 000000 0003 410000");
        same("8001 00000000 0000017a 00000006 00000200 00000002");
        same("8002 00000000 00000129 40000001 0000000b 40000009 0000 01 0002 4100 0041 " + "42".repeat(65));
        same("8002 00000000 00000129 40000002" + PW + " 0000");
        same("8002 00000000 00000129 4000000b" + PW + " 0040" + "43".repeat(64));
        same("8001 00000000 0000017a 00000006 00000200 00000002");
        same("8002 00000000 00000129 4000000a" + PW + " 0002 4142");
        same("8002 00000000 00000129 4000000a" + PW + " 0002 4142");
        same("8002 00000000 00000129 4000000a 0000000b 40000009 0000 01 0002 4142 0002 4142");
        same("8001 00000000 0000017a 00000006 00000200 00000002");
        same("8002 00000000 00000182 00000000 0000000a 40000009 0000 01 0001 41 00000000");
        same("8001 00000000 00000181");
        same("8001 00000000 00000181 00");
    }

    @Test
    void localityRulesAreIdentical() throws IOException {
        setLocality(2);
        same("8001 00000000 00000144 0000");
        setLocality(3);
        same("8001 00000000 00000144 0000");
        same("8001 00000000 0000017e 00000002 000403ffffff 000b03ffffff");
        for (int loc = 0; loc <= 4; loc++) {
            setLocality(loc);
            for (int pcr = 16; pcr < 24; pcr++) {
                String h = String.format("%08x", pcr);
                same("8002 00000000 00000182 " + h + PW + " 00000001 " + digest("000b", pcr));
                same("8002 00000000 0000013c " + h + PW + " 0001 " + String.format("%02x", loc));
                same("8002 00000000 0000013d " + h + PW);
            }
            same("8001 00000000 0000017e 00000002 000b03ffffff 000c03ffffff");
            same("8001 00000000 0000017e 00000002 000403000000 000d0300ffff");
        }
    }

    @Test
    void shutdownStateResumeAndRestartAreIdentical() throws IOException {
        same("8001 00000000 00000144 0001");  // Startup(STATE) without a saved state
        same("8001 00000000 00000144 0000");
        same("8002 00000000 00000182 00000003" + PW + " 00000001 " + digest("0004", 3));
        same("8002 00000000 00000182 00000010" + PW + " 00000001 " + digest("0004", 3));
        same("8002 00000000 00000129 4000000c" + PW + " 0001 50");
        same("8001 00000000 00000145 0001");
        same("8001 00000000 0000017a 00000006 00000201 00000001");
        ctrlInit();
        same("8001 00000000 00000144 0001");  // resume
        same("8001 00000000 0000017e 00000002 000403ffffff 000b03ffffff");
        same("8001 00000000 0000017a 00000006 00000201 00000001");
        same("8002 00000000 00000129 4000000c 0000000a 40000009 0000 01 0001 50 0000");
        same("8001 00000000 00000145 0001");
        ctrlInit();
        same("8001 00000000 00000144 0000");  // restart
        same("8001 00000000 0000017e 00000002 000403ffffff 000b03ffffff");
        same("8002 00000000 00000182 00000004" + PW + " 00000001 " + digest("0004", 4));
        ctrlInit();
        same("8001 00000000 00000144 0001");  // no orderly shutdown: refused
        same("8001 00000000 00000144 0000");  // TPM reset
        same("8001 00000000 0000017e 00000001 000403ffffff");
        same("8001 00000000 0000017a 00000006 00000201 00000001");
        same("8001 00000000 00000145 0000");
        same("8002 00000000 00000182 00000005" + PW + " 00000001 " + digest("0004", 5));
        same("8001 00000000 00000145 0001");
        same("8002 00000000 00000182 00000005" + PW + " 00000001 " + digest("0004", 5)); // breaks orderly
        ctrlInit();
        same("8001 00000000 00000144 0001");
        same("8001 00000000 00000144 0000");
        same("8001 00000000 0000017a 00000006 00000201 00000001");
        same("8001 00000000 00000145 0000");
        ctrlInit();
        same("8001 00000000 00000144 0000");
        same("8001 00000000 0000017a 00000006 00000201 00000001");
        same("8001 00000000 0000017e 00000001 000403ffffff");
    }

    /** Mutated valid commands, restricted to this engine's command codes so both TPMs stay comparable. */
    /** The same, except bytes [from, to) of a successful response (a ticket HMAC keyed by a secret proof). */
    private void sameExcept(String hex, int from, int to) throws IOException {
        byte[] cmd = Hex.cmd(hex);
        byte[] theirs = swtpm.command(cmd);
        byte[] ours = engine.execute(cmd, locality).response();
        String what = "command " + hex;
        assertEquals(theirs.length, ours.length, what + ": " + Hex.str(theirs) + " vs " + Hex.str(ours));
        assertEquals(Hex.str(java.util.Arrays.copyOf(theirs, from)), Hex.str(java.util.Arrays.copyOf(ours, from)), what);
        assertEquals(Hex.str(java.util.Arrays.copyOfRange(theirs, to, theirs.length)),
                Hex.str(java.util.Arrays.copyOfRange(ours, to, ours.length)), what);
        transcript.add(hex + " -> " + Hex.str(ours));
    }

    private static int rc(byte[] response) {
        return ByteBuffer.wrap(response, 6, 4).getInt();
    }

    private static String b2(String hex) {
        return String.format("%04x", hex.replace(" ", "").length() / 2) + hex;
    }

    /** A password session with authValue "ab". */
    private static final String PW_AB = "0000000b 40000009 0000 01 0002 6162";

    @Test
    void hashAndHashSequencesAreIdentical() throws IOException {
        same("8001 00000000 00000144 0000");
        String abc = b2("616263");
        same("8001 00000000 0000017d " + abc + " 000b 40000007");         // Hash, no ticket
        same("8001 00000000 0000017d " + abc + " 0004 40000007");
        same("8001 00000000 0000017d " + abc + " 000d 40000007");
        // a ticket: same digest, tag and hierarchy; the SHA-512 HMAC under the owner proof differs
        sameExcept("8001 00000000 0000017d " + abc + " 000b 40000001", 10 + 34 + 8, 10 + 34 + 8 + 64);
        same("8001 00000000 0000017d " + b2("ff544347 00") + " 000b 40000001"); // TPM_GENERATED: no ticket
        same("8001 00000000 0000017d " + abc + " 0010 40000007");         // TPM_ALG_NULL is not a hash
        same("8001 00000000 0000017d " + abc + " 000b 4000000a");         // lockout is not a hierarchy
        same("8001 00000000 0000017d 0401" + "00".repeat(1025) + " 000b 40000007"); // > MAX_DIGEST_BUFFER
        same("8001 00000000 0000017d " + abc + " 000b");                  // truncated
        // a hash sequence with authValue "ab": start, update, wrong auth refused, complete
        assertEquals(0x80000000, ByteBuffer.wrap(same("8001 00000000 00000186 0002 6162 000b"), 10, 4).getInt());
        same("8002 00000000 0000015c 80000000 " + PW_AB + " " + b2("61".repeat(1000)));
        same("8002 00000000 0000015c 80000000 0000000b 40000009 0000 01 0002 6163 " + b2("62"));
        same("8002 00000000 0000015c 80000000 00000009 40000009 0000 01 0000 " + b2("62"));
        same("8002 00000000 0000013e 80000000 " + PW_AB + " " + b2("6263") + " 40000007");
        same("8002 00000000 0000013e 80000000 " + PW_AB + " " + b2("6263") + " 40000007"); // flushed
        // its ticket
        same("8001 00000000 00000186 0000 000c");
        same("8002 00000000 0000015c 80000000 00000009 40000009 0000 01 0000 " + b2("77".repeat(600)));
        sameExcept("8002 00000000 0000013e 80000000 00000009 40000009 0000 01 0000 " + b2("") + " 4000000b",
                10 + 4 + 50 + 8, 10 + 4 + 50 + 8 + 64);
        // a first block shorter than 4 bytes never gets a ticket
        same("8001 00000000 00000186 0000 000b");
        same("8002 00000000 0000015c 80000000 00000009 40000009 0000 01 0000 " + b2("7777"));
        same("8002 00000000 0000013e 80000000 00000009 40000009 0000 01 0000 " + b2("78787878") + " 40000001");
        // an event sequence into PCR 9 and PCR_Read; then with TPM_RH_NULL
        same("8001 00000000 00000186 0002 6162 0010");
        same("8002 00000000 0000015c 80000000 " + PW_AB + " " + b2("65".repeat(1024)));
        same("8002 00000000 0000013e 80000000 " + PW_AB + " " + b2("") + " 40000007"); // not a hash sequence
        byte[] event = same("8002 00000000 00000185 00000009 80000000 00000014 40000009 0000 01 0000 40000009 0000 "
                + "01 0002 6162 " + b2("66".repeat(100)));
        assertEquals(0, rc(event), "EventSequenceComplete succeeded");
        assertEquals(4, ByteBuffer.wrap(event, 14, 4).getInt(), "one digest per implemented hash");
        same("8001 00000000 0000017e 00000004 000403000200 000b03000200 000c03000200 000d03000200");
        same("8001 00000000 00000186 0000 0010");
        same("8002 00000000 00000185 40000007 80000000 00000012 40000009 0000 01 0000 40000009 0000 01 0000 "
                + b2(""));
        // EventSequenceComplete on a hash sequence; at a locality that may not extend PCR 17
        same("8001 00000000 00000186 0000 000b");
        same("8002 00000000 00000185 00000009 80000000 00000012 40000009 0000 01 0000 40000009 0000 01 0000 "
                + b2(""));
        same("8001 00000000 00000186 0000 0010");
        same("8002 00000000 00000185 00000011 80000001 00000012 40000009 0000 01 0000 40000009 0000 01 0000 "
                + b2(""));
        // three slots: the fourth sequence is TPM_RC_OBJECT_MEMORY; handles and free slots are reported
        same("8001 00000000 00000186 0000 000c");
        same("8001 00000000 00000186 0000 000d");
        assertEquals(0x902, rc(same("8001 00000000 00000186 0000 000b")), "TPM_RC_OBJECT_MEMORY");
        // a persistent handle needs a free slot to be looked up in: TPM_RC_OBJECT_MEMORY before TPM_RC_HANDLE
        same("8002 00000000 0000015c 81000000 00000009 40000009 0000 01 0000 " + b2("00"));        same("8001 00000000 0000017a 00000001 80000000 00000010");
        same("8001 00000000 0000017a 00000006 00000207 00000001");
        same("8001 00000000 00000165 80000001");
        same("8001 00000000 00000165 80000001");
        same("8001 00000000 0000017a 00000001 80000000 00000010");
        same("8001 00000000 0000017a 00000006 00000207 00000001");
        // handles that are not loaded, not transient, or past the slots
        same("8002 00000000 0000015c 80000001 00000009 40000009 0000 01 0000 " + b2("00"));
        same("8002 00000000 0000015c 81000000 00000009 40000009 0000 01 0000 " + b2("00"));
        same("8002 00000000 0000015c 80000007 00000009 40000009 0000 01 0000 " + b2("00"));
        same("8002 00000000 0000015c 40000001 00000009 40000009 0000 01 0000 " + b2("00"));
        same("8001 00000000 0000015c 80000000 " + b2("00"));                // no authorisation
        same("8001 00000000 00000186 0041" + "00".repeat(65) + " 000b");   // auth larger than a digest
        same("8001 00000000 00000186 0000 0099");
        // Startup flushes transient objects (after a new _TPM_Init)
        ctrlInit();
        same("8001 00000000 00000144 0000");
        same("8001 00000000 0000017a 00000001 80000000 00000010");
    }

    /** NV_DefineSpace by the owner (password session) of index h with authValue "pw". */
    private byte[] nvDefine(String h, String attrs, String dataSize) throws IOException {
        return same("8002 00000000 0000012a 40000001 " + PW + " 0002 7077 " + b2(h + " 000b " + attrs + " 0000 " + dataSize));
    }

    /** A password session with the index's authValue "pw" (or another value). */
    private static String pw(String hexAuth) {
        return String.format("%08x 40000009 0000 01 ", 9 + hexAuth.length() / 2) + b2(hexAuth);
    }

    @Test
    void nvIndicesAreIdentical() throws IOException {
        same("8001 00000000 00000144 0000");
        String ord = "01000001";
        // ordinary, owner and auth read/write, no DA
        assertEquals(0, rc(nvDefine(ord, "02060006", "0020")));
        nvDefine(ord, "02060006", "0020");                                       // NV_DEFINED
        same("8001 00000000 00000169 " + ord);                                    // ReadPublic: public area and Name
        same("8002 00000000 0000014e 40000001 " + ord + PW + " 0010 0000");       // not written yet
        same("8002 00000000 00000137 " + ord + " " + ord + " " + pw("7077") + b2("0102030405") + " 0003");
        same("8002 00000000 00000137 " + ord + " " + ord + " " + pw("7078") + b2("ff") + " 0000"); // wrong auth
        same("8002 00000000 00000137 40000001 " + ord + PW + " " + b2("aa".repeat(10)) + " 0016"); // past the end
        same("8002 00000000 00000137 40000001 " + ord + PW + " " + b2("aa".repeat(10)) + " 0021"); // offset
        same("8002 00000000 00000137 40000001 " + ord + PW + " " + b2("bb".repeat(16)) + " 0010");
        same("8001 00000000 00000169 " + ord);                                    // WRITTEN, new Name
        same("8002 00000000 0000014e " + ord + " " + ord + " " + pw("7077") + " 0020 0000");
        same("8002 00000000 0000014e 40000001 " + ord + PW + " 0008 0002");
        same("8002 00000000 0000014e 40000001 " + ord + PW + " 0010 0011");       // NV_RANGE
        same("8002 00000000 0000014e 40000001 " + ord + PW + " 0401 0000");       // > MAX_NV_BUFFER_SIZE
        same("8002 00000000 0000014e 4000000c " + ord + PW + " 0001 0000");       // no PPREAD
        // a counter and an extend index
        String ctr = "01000002";
        String ext = "01000003";
        nvDefine(ctr, "02060016", "0008");
        same("8002 00000000 0000014e 40000001 " + ctr + PW + " 0008 0000");
        same("8002 00000000 00000134 " + ctr + " " + ctr + " " + pw("7077"));
        same("8002 00000000 00000134 40000001 " + ctr + PW);
        same("8002 00000000 0000014e 40000001 " + ctr + PW + " 0008 0000");
        same("8002 00000000 00000137 40000001 " + ctr + PW + " " + b2("00") + " 0000"); // not ordinary
        same("8002 00000000 00000134 40000001 " + ord + PW);                     // not a counter
        nvDefine(ext, "02060046", "0020");
        same("8002 00000000 00000136 " + ext + " " + ext + " " + pw("7077") + b2("6162"));
        same("8002 00000000 00000136 40000001 " + ext + PW + b2("63".repeat(100)));
        same("8002 00000000 0000014e 40000001 " + ext + PW + " 0020 0000");
        same("8002 00000000 00000136 40000001 " + ord + PW + b2("63"));           // not an extend index
        // authorisation rules: owner-only, auth-only, DA-protected
        nvDefine("01000004", "00020002", "0004");
        same("8002 00000000 00000137 01000004 01000004 " + pw("7077") + b2("00") + " 0000"); // AUTH_UNAVAILABLE
        nvDefine("01000005", "00040004", "0004");
        same("8002 00000000 00000137 40000001 01000005" + PW + b2("00") + " 0000");  // NV_AUTHORIZATION
        same("8002 00000000 00000137 01000005 01000005 " + pw("7078") + b2("00") + " 0000"); // AUTH_FAIL (DA)
        same("8002 00000000 00000137 01000005 01000005 " + pw("7077") + b2("01020304") + " 0000");
        same("8002 00000000 0000014e 01000005 01000005 " + pw("7077") + " 0004 0000");
        same("8001 00000000 0000017a 00000006 0000020e 00000001");              // TPM_PT_LOCKOUT_COUNTER
        same("8002 00000000 00000137 01000005 01000005 " + pw("7079") + b2("00") + " 0000");
        same("8002 00000000 00000137 01000005 01000005 " + pw("707a") + b2("00") + " 0000");
        same("8002 00000000 00000137 01000005 01000005 " + pw("7077") + b2("00") + " 0000"); // locked out
        same("8002 00000000 00000137 " + ord + " " + ord + " " + pw("7077") + b2("07") + " 0000"); // no DA: fine
        // refused definitions
        nvDefine("01000006", "22060006", "0020");                                // WRITTEN set
        nvDefine("01000006", "02000006", "0020");                                // no read
        nvDefine("01000006", "42060006", "0020");                                // PLATFORMCREATE by owner
        nvDefine("01000006", "02060016", "0004");                                // counter of 4 bytes
        nvDefine("01000006", "02060046", "0014");                                // extend not a sha256
        nvDefine("01000006", "020600f6", "0004");                                // unknown TPM_NT
        nvDefine("01000006", "02160006", "0004");                                // reserved bit
        nvDefine("01000006", "02060006", "0801");                                // > MAX_NV_INDEX_SIZE
        nvDefine("81000006", "02060006", "0004");                                // not an NV handle
        same("8002 00000000 0000012a 40000001 " + PW + " 0021" + "11".repeat(33) + " " + b2(
                "01000006 000b 02060006 0000 0004"));                            // auth longer than the nameAlg
        same("8002 00000000 0000012a 40000001 " + PW + " 0000 0000");            // empty public area
        // capabilities: NV handles and TPM_PT_HR_NV_INDEX, TPM_PT_NV_COUNTERS
        same("8001 00000000 0000017a 00000001 01000000 00000010");
        same("8001 00000000 0000017a 00000001 01000003 00000002");
        same("8001 00000000 0000017a 00000006 00000202 00000001");
        same("8001 00000000 0000017a 00000006 0000020a 00000001");
        // a restart keeps everything; undefine; a new counter continues above the deleted one
        same("8001 00000000 00000145 0000");
        ctrlInit();
        same("8001 00000000 00000144 0000");
        same("8002 00000000 0000014e 40000001 " + ord + PW + " 0020 0000");
        same("8002 00000000 0000014e 40000001 " + ctr + PW + " 0008 0000");
        same("8002 00000000 00000122 40000001 " + ctr + PW);
        same("8002 00000000 00000122 40000001 " + ctr + PW);                     // gone
        same("8001 00000000 00000169 " + ctr);
        nvDefine(ctr, "02060016", "0008");
        same("8002 00000000 00000134 40000001 " + ctr + PW);
        same("8002 00000000 0000014e 40000001 " + ctr + PW + " 0008 0000");
        same("8001 00000000 0000017a 00000006 0000020e 00000001");              // unorderly: still 3
        same("8001 00000000 0000017a 00000006 00000201 00000001");
        same("8002 00000000 00000122 4000000c " + ord + PW);                     // platform: no platformAuth set, ok
        same("8001 00000000 0000017a 00000001 01000000 00000010");
    }

    /** One CreatePrimary under the owner with a template (TPMT_PUBLIC hex): its answer must be identical. */
    private void samePrimaryAnswer(String template) throws IOException {
        String t = template.replace(" ", "");
        same("8002 00000000 00000131 40000001" + PW + " 0004 0000 0000 " + String.format("%04x", t.length() / 2) + t
                + " 0000 00000000");
    }

    @Test
    void policyDigestsAndKeyErrorsAreIdentical() throws IOException {
        same("8001 00000000 00000144 0000");
        // a trial session: its nonce is random, the rest must be equal; then every policy digest
        sameExcept("8001 00000000 00000176 40000007 40000007 0020" + "11".repeat(32) + " 0000 03 0010 000b", 16, 48);
        String s = "03000000";
        same("8001 00000000 0000017f " + s + " 0000 00000001 000b 03 800000");
        same("8001 00000000 00000189 " + s);
        same("8001 00000000 0000016b " + s);
        same("8001 00000000 00000189 " + s);
        same("8001 00000000 0000016c " + s + " 0000015e");
        same("8001 00000000 00000189 " + s);
        same("8001 00000000 0000016c " + s + " 00000158");
        same("8002 00000000 00000151 40000001 " + s + PW + " 0000 0000 0004 72656631 00000000");
        same("8001 00000000 00000189 " + s);
        same("8001 00000000 00000180 " + s);
        same("8001 00000000 00000189 " + s);
        same("8001 00000000 0000018c " + s);
        same("8001 00000000 00000189 " + s);
        // PolicyPCR with a caller digest in a trial session: the digest given is used
        same("8001 00000000 0000017f " + s + " 0020" + "ab".repeat(32) + " 00000001 000b 03 000001");
        same("8001 00000000 00000189 " + s);
        // policy commands on a handle that is no (loaded) policy session
        same("8001 00000000 00000189 03000001");
        same("8001 00000000 00000189 02000000");
        same("8001 00000000 00000165 " + s);
        same("8001 00000000 00000189 " + s);
        // template errors of CreatePrimary
        samePrimaryAnswer("0023 000b 00030073 0000 0006 0080 0043 0010 0003 0010 0000 0000"); // reserved bit 0
        samePrimaryAnswer("0023 000b 00030062 0000 0006 0080 0043 0010 0003 0010 0000 0000"); // fixedTPM, not fixedParent
        samePrimaryAnswer("0023 000b 00070072 0000 0006 0080 0043 0010 0003 0010 0000 0000"); // restricted sign+decrypt
        samePrimaryAnswer("0023 000b 00030072 0000 0010 0010 0003 0010 0000 0000"); // storage key without AES
        samePrimaryAnswer("0023 000b 00040072 0000 0006 0080 0043 0018 000b 0003 0010 0000 0000"); // signer with AES
        samePrimaryAnswer("0023 000b 00030052 0000 0006 0080 0043 0010 0003 0010 0000 0000"); // no sensitiveDataOrigin
        samePrimaryAnswer("0023 000b 00030072 0004 01020304 0006 0080 0043 0010 0003 0010 0000 0000"); // policy size
        samePrimaryAnswer("0023 0005 00030072 0000 0006 0080 0043 0010 0003 0010 0000 0000"); // nameAlg HMAC
        // (libtpms also makes storage keys with AES in OFB, CTR, CBC or ECB mode; this TPM only CFB: MODE)
        samePrimaryAnswer("0023 000b 00030072 0000 0006 0081 0043 0010 0003 0010 0000 0000"); // AES-129
        samePrimaryAnswer("0008 000b 00000072 0000 0010 0000"); // sealed data with sensitiveDataOrigin
        samePrimaryAnswer("0001 000b 00030072 0000 0006 0080 0043 0010 03e8 00000000 0000"); // RSA-1000
        samePrimaryAnswer("0023 000b 00030072 0000 0006 0080 0043 0010 0099 0010 0000 0000"); // no such curve
        // handles that do not exist
        same("8001 00000000 00000173 80000000");
        same("8001 00000000 00000173 81000001");
        same("8001 00000000 00000173 40000001");
        same("8002 00000000 0000015e 80000001" + PW);
        same("8002 00000000 00000158 80000000" + PW + " 0000 0010 00000001 000b 03 ff0000");
        same("8002 00000000 00000120 40000001 80000000" + PW + " 81000001");
        same("8001 00000000 00000162 80000000");
        same("8001 00000000 00000162 02000000");
        same("8001 00000000 00000165 03000000");
    }

    @Test
    void mutatedCommandsGiveIdenticalResponses() throws IOException {
        long seed = Long.getLong("tpm.diff.seed", 0x5eed_0001L);
        Random rnd = new Random(seed);
        List<byte[]> seeds = HostileCommands.validCommands();
        int n = Integer.getInteger("tpm.diff.count", 3000);
        try {
            same("8001 00000000 00000144 0000");
            for (int i = 0; i < n; i++) {
                byte[] cmd = HostileCommands.mutate(seeds.get(rnd.nextInt(seeds.size())), rnd, true);
                same(cmd);
                if (transcript.size() > 40) {
                    transcript.remove(0);
                }
            }
        } catch (AssertionError e) {
            throw new AssertionError("seed=0x" + Long.toHexString(seed) + " (-Dtpm.diff.seed): " + e.getMessage(), e);
        }
    }
}
