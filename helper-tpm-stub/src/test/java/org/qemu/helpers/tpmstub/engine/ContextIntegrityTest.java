package org.qemu.helpers.tpmstub.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.qemu.helpers.tpmstub.Hex;

/**
 * Issue 16 acceptance 6 for saved contexts: ContextLoad of a forged, tampered, foreign, stale or
 * replayed context is refused (Part 1 30: the integrity HMAC), and a refusal changes nothing.
 */
class ContextIntegrityTest {
    private static final String PW = "00000009 40000009 0000 01 0000";
    private static final byte[] STARTUP = Hex.cmd("8001 00000000 00000144 0000");
    private static final byte[] CREATE_PRIMARY = Hex.cmd("8002 00000000 00000131 40000001" + PW
            + " 0004 0000 0000 " + HostileCommands.ECC_TEMPLATE + " 0000 00000000");
    private static final byte[] SAVE = Hex.cmd("8001 00000000 00000162 80000000");
    private static final byte[] FLUSH = Hex.cmd("8001 00000000 00000165 80000000");

    private static TpmEngine started(long seed) {
        TpmEngine e = new TpmEngine(java.util.EnumSet.allOf(HashAlg.class), new TestEngines.FakeClock(),
                TestEngines.seeded(seed));
        assertEquals(0, e.execute(STARTUP, 0).rc());
        return e;
    }

    /** The TPMS_CONTEXT of an ECC SRK, saved and its slot flushed. */
    private static byte[] savedPrimary(TpmEngine e) {
        assertEquals(0, e.execute(CREATE_PRIMARY, 0).rc());
        TpmEngine.Result saved = e.execute(SAVE, 0);
        assertEquals(0, saved.rc());
        assertEquals(0, e.execute(FLUSH, 0).rc());
        return Arrays.copyOfRange(saved.response(), 10, saved.response().length);
    }

    private static byte[] contextLoad(byte[] context) {
        byte[] cmd = new byte[10 + context.length];
        System.arraycopy(Hex.cmd("8001 00000000 00000161"), 0, cmd, 0, 10);
        System.arraycopy(context, 0, cmd, 10, context.length);
        cmd[2] = (byte) (cmd.length >>> 24);
        cmd[3] = (byte) (cmd.length >>> 16);
        cmd[4] = (byte) (cmd.length >>> 8);
        cmd[5] = (byte) cmd.length;
        return cmd;
    }

    @Test
    void aSavedObjectLoadsBackAndEveryChangeToItIsRefusedWithoutEffect() {
        TpmEngine e = started(1);
        byte[] context = savedPrimary(e);
        TpmEngine.Result ok = e.execute(contextLoad(context), 0);
        assertEquals("80010000000e0000000080000000", Hex.str(ok.response()));
        String pub = Hex.str(e.execute(Hex.cmd("8001 00000000 00000173 80000000"), 0).response());
        assertEquals(0, e.execute(FLUSH, 0).rc());
        Random rnd = new Random(30);
        byte[] perm = e.encodePermanent();
        byte[] vol = e.encodeVolatile();
        for (int i = 0; i < 20_000; i++) {
            byte[] bad = context.clone();
            switch (rnd.nextInt(4)) {
                case 0 -> bad[rnd.nextInt(bad.length)] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> bad[rnd.nextInt(bad.length)] = (byte) rnd.nextInt(256);
                case 2 -> bad = Arrays.copyOf(bad, rnd.nextInt(bad.length));
                default -> { // forge: random bytes after a plausible header
                    byte[] tail = new byte[rnd.nextInt(200)];
                    rnd.nextBytes(tail);
                    System.arraycopy(tail, 0, bad, 16, Math.min(tail.length, bad.length - 16));
                }
            }
            if (Arrays.equals(bad, context)) {
                continue;
            }
            TpmEngine.Result r = e.execute(contextLoad(bad), 0);
            assertNotEquals(0, r.rc(), "tampered context " + i + " loaded: " + Hex.str(bad));
            assertEquals(10, r.response().length);
        }
        assertEquals(Hex.str(perm), Hex.str(e.encodePermanent()));
        assertEquals(Hex.str(vol), Hex.str(e.encodeVolatile()));
        // the genuine context still loads, and is the same object
        assertEquals(0, e.execute(contextLoad(context), 0).rc());
        assertEquals(pub, Hex.str(e.execute(Hex.cmd("8001 00000000 00000173 80000000"), 0).response()));
    }

    @Test
    void aContextFromAnotherTpmOrFromBeforeATpmResetIsRefused() {
        TpmEngine a = started(1);
        TpmEngine b = started(2);
        byte[] fromA = savedPrimary(a);
        assertEquals("80010000000a000001df", Hex.str(b.execute(contextLoad(fromA), 0).response()),
                "TPM_RC_INTEGRITY: another TPM's proof");
        assertEquals(0, a.execute(Hex.cmd("8001 00000000 00000145 0000"), 0).rc()); // Shutdown(CLEAR)
        a.init(null);
        assertEquals(0, a.execute(STARTUP, 0).rc()); // TPM Reset
        assertEquals("80010000000a000001df", Hex.str(a.execute(contextLoad(fromA), 0).response()),
                "resetCount is in the integrity");
    }

    @Test
    void aSavedSessionLoadsOnceAndIsThenNoLongerSaved() {
        TpmEngine e = started(3);
        TpmEngine.Result started = e.execute(Hex.cmd("8001 00000000 00000176 40000007 40000007 0020"
                + "11".repeat(32) + " 0000 01 0010 000b"), 0);
        assertEquals("03000000", Hex.str(started.response()).substring(20, 28));
        TpmEngine.Result saved = e.execute(Hex.cmd("8001 00000000 00000162 03000000"), 0);
        assertEquals(0, saved.rc());
        byte[] context = Arrays.copyOfRange(saved.response(), 10, saved.response().length);
        // saved, not loaded: a policy command on it is refused
        assertEquals("80010000000a00000910", Hex.str(e.execute(Hex.cmd("8001 00000000 00000189 03000000"), 0)
                .response()));
        assertEquals("80010000000e0000000003000000", Hex.str(e.execute(contextLoad(context), 0).response()));
        assertEquals(0, e.execute(Hex.cmd("8001 00000000 00000189 03000000"), 0).rc());
        assertEquals("80010000000a000001cb", Hex.str(e.execute(contextLoad(context), 0).response()),
                "a replayed session context: TPM_RC_HANDLE for parameter 1");
    }
}
