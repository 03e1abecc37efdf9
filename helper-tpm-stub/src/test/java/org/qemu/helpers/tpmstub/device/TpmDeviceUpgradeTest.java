package org.qemu.helpers.tpmstub.device;

import org.qemu.helpers.tpmstub.Hex;

import org.qemu.helpers.common.log.EventLog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;

import org.junit.jupiter.api.Test;
import org.qemu.helpers.tpmstub.engine.HashAlg;
import org.qemu.helpers.tpmstub.engine.TpmState;
import org.qemu.helpers.tpmstub.store.StateStore;

/** A state directory written by the version 1 release: opened, upgraded on disk once, and stable after. */
class TpmDeviceUpgradeTest {
    @Test
    void aVersion1StateDirectoryIsUpgradedOnceAndItsNewSecretsSurviveRestarts() throws Exception {
        Path dir = Files.createTempDirectory("upgrade");
        try {
            byte[] v1;
            try (var in = TpmState.class.getResourceAsStream("state-v1-permanent.bin")) {
                v1 = in.readAllBytes();
            }
            try (StateStore s = StateStore.open(dir)) {
                s.savePermanent(v1);
            }
            byte[] first;
            try (StateStore s = StateStore.open(dir);
                 TpmDevice d = TpmDevice.open(s, EnumSet.allOf(HashAlg.class), EventLog.NONE)) {
                first = s.loadPermanent().orElseThrow();
            }
            TpmState.Permanent p = TpmState.decodePermanent(first);
            assertFalse(p.needsSecrets(), "upgraded to the current version (3) on disk at the first open");
            assertEquals(4, java.nio.ByteBuffer.wrap(first, 4, 4).getInt());
            try (StateStore s = StateStore.open(dir);
                 TpmDevice d = TpmDevice.open(s, EnumSet.allOf(HashAlg.class), EventLog.NONE)) {
                TpmState.Permanent q = TpmState.decodePermanent(s.loadPermanent().orElseThrow());
                assertArrayEquals(p.secrets().eps(), q.secrets().eps(), "seeds are stable across restarts");
                assertArrayEquals(p.secrets().shProof(), q.secrets().shProof());
            }
        } finally {
            Hex.deleteTree(dir);
        }
    }

    /** An NV index written through the device survives closing it and opening the state directory again. */
    @Test
    void anNvIndexSurvivesAHelperRestart() throws Exception {
        Path dir = Files.createTempDirectory("nv-restart");
        String pw = " 00000009 40000009 0000 01 0000 ";
        try {
            try (StateStore s = StateStore.open(dir);
                 TpmDevice d = TpmDevice.open(s, EnumSet.allOf(HashAlg.class), EventLog.NONE)) {
                d.execute(Hex.cmd("8001 00000000 00000144 0000"));
                assertEquals("80020000001300000000000000000000010000", Hex.str(d.execute(Hex.cmd(
                        "8002 00000000 0000012a 40000001" + pw + "0002 7077 000e 01000001 000b 02060006 0000 0008"))));
                assertEquals("80020000001300000000000000000000010000", Hex.str(d.execute(Hex.cmd(
                        "8002 00000000 00000137 40000001 01000001" + pw + "0004 c0ffee11 0002"))));
            }
            try (StateStore s = StateStore.open(dir);
                 TpmDevice d = TpmDevice.open(s, EnumSet.allOf(HashAlg.class), EventLog.NONE)) {
                String read = Hex.str(d.execute(Hex.cmd("8002 00000000 0000014e 40000001 01000001" + pw + "0008 0000")));
                assertEquals("80020000001d000000000000000a0008ffffc0ffee11ffff0000010000", read);
            }
        } finally {
            Hex.deleteTree(dir);
        }
    }
}
