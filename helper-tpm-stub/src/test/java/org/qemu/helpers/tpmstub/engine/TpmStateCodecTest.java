package org.qemu.helpers.tpmstub.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.EnumSet;

import org.junit.jupiter.api.Test;
import org.qemu.helpers.tpmstub.Hex;

class TpmStateCodecTest {
    private static TpmEngine busyEngine() {
        TpmEngine e = TestEngines.allBanks();
        e.execute(Hex.cmd("8001 00000000 00000144 0000"), 0);
        e.execute(Hex.cmd("8002 00000000 00000182 00000007 00000009 40000009 0000 01 0000 00000001 000b"
                + "11".repeat(32)), 0);
        e.execute(Hex.cmd("8002 00000000 00000129 40000001 00000009 40000009 0000 01 0000 0003 6f776e"), 0);
        return e;
    }

    @Test
    void permanentAndVolatileBlobsRoundTripIntoAnIdenticalTpm() throws Exception {
        TpmEngine a = busyEngine();
        byte[] p = a.encodePermanent();
        byte[] v = a.encodeVolatile();
        TpmEngine b = new TpmEngine(EnumSet.of(HashAlg.SHA256), new TestEngines.FakeClock(), TestEngines.seeded(2));
        b.load(TpmState.decodePermanent(p), TpmState.decodeVolatile(v));
        byte[] read = Hex.cmd("8001 00000000 0000017e 00000003 000403ffffff 000b03ff0000 000d03000080");
        assertEquals(Hex.str(a.execute(read, 0).response()), Hex.str(b.execute(read, 0).response()));
        assertEquals(a.state().allocated(), b.state().allocated());
        assertArrayEquals(Arrays.copyOf(p, 60), Arrays.copyOf(b.encodePermanent(), 60));
        byte[] auth = Hex.cmd("8002 00000000 00000129 40000001 0000000c 40000009 0000 01 0003 6f776e 0000");
        assertEquals("80020000001300000000000000000000010000", Hex.str(b.execute(auth, 0).response()));
    }

    @Test
    void everyCorruptedOrTruncatedBlobIsRefused() {
        TpmEngine a = busyEngine();
        byte[] p = a.encodePermanent();
        byte[] v = a.encodeVolatile();
        for (int i = 0; i < p.length; i += 7) {
            byte[] bad = p.clone();
            bad[i] ^= 0x10;
            assertThrows(StateFormatException.class, () -> TpmState.decodePermanent(bad), "flip at " + i);
        }
        for (int i = 0; i < v.length; i += 13) {
            byte[] bad = v.clone();
            bad[i] ^= 0x01;
            assertThrows(StateFormatException.class, () -> TpmState.decodeVolatile(bad), "flip at " + i);
        }
        for (int n : new int[] {0, 3, 11, 12, p.length - 1}) {
            assertThrows(StateFormatException.class, () -> TpmState.decodePermanent(Arrays.copyOf(p, n)));
        }
        assertThrows(StateFormatException.class, () -> TpmState.decodeVolatile(p));
        assertThrows(StateFormatException.class, () -> TpmState.decodePermanent(new byte[TpmState.MAX_BLOB + 1]));
    }

    /**
     * Blobs written by the release before the permanent format changed (version 1, commit 4abbff6's
     * TpmState: Startup(CLEAR), PCR 7 sha256 extended with 0x11 x 32, ownerAuth "own") still load.
     */
    @Test
    void stateWrittenByTheVersion1ReleaseStillLoads() throws Exception {
        byte[] p = resource("state-v1-permanent.bin");
        byte[] v = resource("state-v1-volatile.bin");
        TpmEngine b = new TpmEngine(EnumSet.of(HashAlg.SHA256), new TestEngines.FakeClock(), TestEngines.seeded(3));
        b.load(TpmState.decodePermanent(p), TpmState.decodeVolatile(v));
        assertEquals(EnumSet.allOf(HashAlg.class), b.state().allocated());
        assertEquals("80010000003e000000000000001500000001000b038000000000000100208878b15a7d6a3a4f464e8f9f42591dbc0cf4"
                + "bedea0ec309003d2b2ee53655ef8",
                Hex.str(b.execute(Hex.cmd("8001 00000000 0000017e 00000001 000b03800000"), 0).response()));
        byte[] auth = Hex.cmd("8002 00000000 00000129 40000001 0000000c 40000009 0000 01 0003 6f776e 0000");
        assertEquals("80020000001300000000000000000000010000", Hex.str(b.execute(auth, 0).response()));
        // and what it writes now loads again
        TpmEngine c = new TpmEngine(EnumSet.of(HashAlg.SHA256), new TestEngines.FakeClock(), TestEngines.seeded(4));
        c.load(TpmState.decodePermanent(b.encodePermanent()), TpmState.decodeVolatile(b.encodeVolatile()));
        assertEquals(EnumSet.allOf(HashAlg.class), c.state().allocated());
        // the version 1 part had no seeds and proofs; the ones it got on loading are kept from then on
        assertTrue(TpmState.decodePermanent(p).needsSecrets());
        TpmState.Permanent upgraded = TpmState.decodePermanent(b.encodePermanent());
        assertFalse(upgraded.needsSecrets());
        assertEquals(4, java.nio.ByteBuffer.wrap(b.encodePermanent(), 4, 4).getInt(), "written as version 4");
        TpmState.Permanent again = TpmState.decodePermanent(c.encodePermanent());
        for (int i = 0; i < 6; i++) {
            assertArrayEquals(upgraded.secrets().all().get(i), again.secrets().all().get(i));
            assertEquals(TpmState.Secrets.SIZE, again.secrets().all().get(i).length);
        }
    }

    /**
     * Blobs written by the version 2 release (main 3f91494's TpmState: Startup(CLEAR), PCR 7 sha256
     * extended with 0x11 x 32, NV index 0x01000010 of 8 bytes, authValue "nv", written "cafebabe")
     * still load, with no persistent objects, and are written back as version 4.
     */
    @Test
    void stateWrittenByTheVersion2ReleaseStillLoads() throws Exception {
        TpmState.Permanent p = TpmState.decodePermanent(resource("state-v2-permanent.bin"));
        assertTrue(p.persistent().isEmpty());
        assertEquals(1, p.nv().size());
        TpmEngine b = new TpmEngine(EnumSet.of(HashAlg.SHA256), new TestEngines.FakeClock(), TestEngines.seeded(3));
        b.load(p, TpmState.decodeVolatile(resource("state-v2-volatile.bin")));
        // NV_Read of the index with its authValue: the bytes written by the old release
        byte[] nvRead = Hex.cmd("8002 00000000 0000014e 01000010 01000010 0000000b 40000009 0000 01 0002 6e76 0004 0000");
        assertEquals("80010000000a00000922", Hex.str(b.execute(nvRead, 0).response()), "DA in use: RETRY once");
        String read = Hex.str(b.execute(nvRead, 0).response());
        assertEquals("80020000001900000000000000060004cafebabe0000010000", read);
        assertEquals(4, java.nio.ByteBuffer.wrap(b.encodePermanent(), 4, 4).getInt());
        TpmState.Permanent again = TpmState.decodePermanent(b.encodePermanent());
        assertArrayEquals(p.secrets().eps(), again.secrets().eps());
        assertEquals(1, again.nv().size());
    }

    /**
     * Blobs written by the version 3 encoder (TpmState of wt-tpmcmd d7914b6, the last before
     * ClearControl; the engine ran Startup(CLEAR), PCR 7 sha256 extended with 0x11 x 32, NV index
     * 0x01000010 (AUTHREAD, AUTHWRITE, NO_DA, authValue "nv") holding cafebabe, a sealed primary with
     * authValue "pw" and data "abc" made persistent at 0x81000001) still load with Clear enabled, and
     * are written back as version 4.
     */
    @Test
    void stateWrittenByTheVersion3ReleaseStillLoads() throws Exception {
        TpmEngine b = loadsWithItsSealedObjectAndNvIndex("v3", false, 5);
        assertEquals(4, java.nio.ByteBuffer.wrap(b.encodePermanent(), 4, 4).getInt());
        TpmState.Permanent again = TpmState.decodePermanent(b.encodePermanent());
        assertEquals(java.util.Set.of(0x81000001L), again.persistent().keySet());
    }

    /**
     * The committed state-VERSION blobs in an engine: the sealed object at 0x81000001 (authValue "pw")
     * unseals "abc", the NV index 0x01000010 (authValue "nv") reads cafebabe, disableClear as given.
     */
    private static TpmEngine loadsWithItsSealedObjectAndNvIndex(String version, boolean disableClear, long seed)
            throws Exception {
        TpmState.Permanent p = TpmState.decodePermanent(resource("state-" + version + "-permanent.bin"));
        assertEquals(java.util.Set.of(0x81000001L), p.persistent().keySet());
        assertEquals(disableClear, p.disableClear());
        TpmEngine b = new TpmEngine(EnumSet.of(HashAlg.SHA256), new TestEngines.FakeClock(), TestEngines.seeded(seed));
        b.load(p, TpmState.decodeVolatile(resource("state-" + version + "-volatile.bin")));
        byte[] unseal = Hex.cmd("8002 00000000 0000015e 81000001 0000000b 40000009 0000 01 0002 7077");
        assertEquals("80010000000a00000922", Hex.str(b.execute(unseal, 0).response()), "DA in use: RETRY once");
        assertEquals("80020000001800000000000000050003616263 0000010000".replace(" ", ""),
                Hex.str(b.execute(unseal, 0).response()));
        byte[] nvRead = Hex.cmd("8002 00000000 0000014e 01000010 01000010 0000000b 40000009 0000 01 0002 6e76 0004 0000");
        assertEquals("80020000001900000000000000060004cafebabe0000010000", Hex.str(b.execute(nvRead, 0).response()));
        return b;
    }

    /**
     * Blobs of the current format (version 4, main 122a359 plus MakeCredential, which changed no state):
     * a persistent password-sealed object, an NV index with its own authValue, Clear disabled by
     * ClearControl. When the format changes, this test keeps proving that they still load.
     */
    @Test
    void stateWrittenByTheVersion4ReleaseStillLoads() throws Exception {
        byte[] blob = resource("state-v4-permanent.bin");
        assertEquals(4, java.nio.ByteBuffer.wrap(blob, 4, 4).getInt(), "format version of the committed blob");
        TpmEngine b = loadsWithItsSealedObjectAndNvIndex("v4", true, 6);
        byte[] clear = Hex.cmd("8002 00000000 00000126 4000000a 00000009 40000009 0000 01 0000");
        assertEquals("80010000000a00000120", Hex.str(b.execute(clear, 0).response()), "TPM_RC_DISABLED");
    }

    static byte[] resource(String name) throws java.io.IOException {
        try (java.io.InputStream in = TpmStateCodecTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new java.io.FileNotFoundException(name);
            }
            return in.readAllBytes();
        }
    }
}
