package org.qemu.helpers.tpmstub.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.qemu.helpers.tpmstub.Hex;

/** 200,000 random, truncated and mutated commands: always a well-formed response, never a crash. */
class HostileInputTest {
    static final String PCR0_AFTER_ONE_EXTEND = "90f4b39548df55ad6187a1d20d731ecee78c545b94afd16f42ef7592d99cd365";

    @Test
    void hostileCommandsAlwaysGetAWellFormedResponseAndTheTpmStillWorks() {
        long seed = Long.getLong("tpm.hostile.seed", 0xBADC0FFEEL);
        Random rnd = new Random(seed);
        TpmEngine e = TestEngines.allBanks();
        List<byte[]> seeds = new java.util.ArrayList<>(HostileCommands.validCommands());
        // session commands (not in the swtpm-comparable set: their replies carry fresh nonces)
        seeds.add(Hex.cmd("8001 00000000 00000176 40000007 40000007 0020" + "11".repeat(32) + " 0000 00 0010 000b"));
        seeds.add(Hex.cmd("8001 00000000 00000176 40000007 40000007 0010" + "11".repeat(16)
                + " 0000 00 0006 0080 0043 0004"));
        seeds.add(Hex.cmd("8001 00000000 00000165 02000000"));
        seeds.add(Hex.cmd("8001 00000000 00000165 80000000"));
        seeds.addAll(HostileCommands.nvCommands());
        // an index only a policy authorises (authPolicy = PolicyAuthValue's digest, POLICYREAD|POLICYWRITE),
        // a policy session, its assertions, and NV_Write/NV_Read through it (Part 1 19.7, Part 3 31)
        String nonce = " 0020" + "44".repeat(32);
        seeds.add(Hex.cmd("8002 00000000 0000012a 40000001 00000009 40000009 0000 01 0000 0002 7077 002e 01000004 000b"
                + " 00080008 0020 8fcd2169ab92694e0c633f1ab772842b8241bbc20288981fc7ac1eddc1fddb0e 0008"));
        seeds.add(Hex.cmd("8001 00000000 00000176 40000007 40000007" + nonce + " 0000 01 0010 000b"));
        seeds.add(Hex.cmd("8001 00000000 0000016b 03000000"));
        seeds.add(Hex.cmd("8001 00000000 0000018c 03000000"));
        seeds.add(Hex.cmd("8001 00000000 0000016c 03000000 0000014e"));
        seeds.add(Hex.cmd("8001 00000000 00000180 03000000"));
        seeds.add(Hex.cmd("8002 00000000 00000137 01000004 01000004 0000002b 03000000" + nonce + " 01 0002 7077"
                + " 0008 3132333435363738 0000"));
        seeds.add(Hex.cmd("8002 00000000 0000014e 01000004 01000004 0000002b 03000000" + nonce + " 01 0002 7077"
                + " 0008 0000"));
        seeds.addAll(HostileCommands.keyCommands());
        seeds.add(Hex.cmd("8002 00000000 00000182 00000010 00000049 02000000 0020" + "22".repeat(32)
                + " 01 0020" + "33".repeat(32) + " 00000000"));
        int errors = 0;
        int i = 0;
        try {
            e.execute(Hex.cmd("8001 00000000 00000144 0000"), 0);
            byte[] perm = e.encodePermanent();
            byte[] vol = e.encodeVolatile();
            for (i = 0; i < 200_000; i++) {
                byte[] cmd;
                int kind = rnd.nextInt(10);
                if (kind == 0) {
                    cmd = new byte[rnd.nextInt(64)];
                    rnd.nextBytes(cmd);
                } else if (kind == 1) {
                    byte[] base = seeds.get(rnd.nextInt(seeds.size()));
                    cmd = java.util.Arrays.copyOf(base, rnd.nextInt(base.length + 1));
                } else {
                    cmd = HostileCommands.mutate(seeds.get(rnd.nextInt(seeds.size())), rnd, false);
                }
                int loc = rnd.nextInt(5);
                TpmEngine.Result r = e.execute(cmd, loc);
                // every refused command changes nothing, except a failed DA-protected authorisation
                // (TPM_RC_AUTH_FAIL) and the first DA-protected one after Startup (TPM_RC_RETRY records "DA used");
                // the state is encoded once per command: compared after a refusal, kept after anything else
                byte[] permAfter = e.encodePermanent();
                byte[] volAfter = e.encodeVolatile();
                if (r.rc() != 0 && (r.rc() & 0x8BF) != 0x88E && r.rc() != 0x922
                        && !(Arrays.equals(perm, permAfter) && Arrays.equals(vol, volAfter))) {
                    assertEquals(Hex.str(perm), Hex.str(permAfter), "permanent state after a refusal");
                    assertEquals(Hex.str(vol), Hex.str(volAfter), "volatile state after a refusal");
                }
                perm = permAfter;
                vol = volAfter;
                byte[] resp = r.response();
                assertTrue(resp.length >= 10 && resp.length <= TpmEngine.MAX_COMMAND_SIZE, "response length");
                assertEquals(resp.length, ByteBuffer.wrap(resp, 2, 4).getInt(), "size field");
                int tag = ByteBuffer.wrap(resp, 0, 2).getShort() & 0xFFFF;
                assertTrue(tag == 0x8001 || tag == 0x8002, "tag");
                assertEquals(r.rc(), ByteBuffer.wrap(resp, 6, 4).getInt(), "rc");
                if (r.rc() != 0) {
                    errors++;
                    assertEquals(10, resp.length, "an error response is a bare header");
                }
                if (rnd.nextInt(5000) == 0) {
                    e.init(null);
                    perm = e.encodePermanent();
                    vol = e.encodeVolatile();
                }
            }
        } catch (RuntimeException | AssertionError ex) {
            throw new AssertionError("hostile command " + i + " failed; seed=0x" + Long.toHexString(seed)
                    + " (-Dtpm.hostile.seed)", ex);
        }
        assertTrue(errors > 100_000, "most hostile commands must be refused, were " + errors);
        // the TPM still answers correctly afterwards
        e.init(null);
        assertEquals("80010000000a00000000", Hex.str(e.execute(Hex.cmd("8001 00000000 00000144 0000"), 0).response()));
        assertEquals("80020000001300000000000000000000010000", Hex.str(e.execute(Hex.cmd(
                "8002 00000000 00000182 00000000 00000009 40000009 0000 01 0000 00000001 000b" + "00".repeat(31) + "01"),
                0).response()));
        String read = Hex.str(e.execute(Hex.cmd("8001 00000000 0000017e 00000001 000b03010000"), 0).response());
        assertTrue(read.endsWith("0020" + PCR0_AFTER_ONE_EXTEND), read);
    }
}
