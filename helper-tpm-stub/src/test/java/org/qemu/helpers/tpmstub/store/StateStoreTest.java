package org.qemu.helpers.tpmstub.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.qemu.helpers.tpmstub.Hex;
import org.qemu.helpers.tpmstub.engine.TestEngines;
import org.qemu.helpers.tpmstub.engine.TpmEngine;

class StateStoreTest {
    @Test
    void aTornNewestSlotFallsBackToTheOlderOneAndStaleTempsAreRemoved() throws Exception {
        Path dir = Files.createTempDirectory("store");
        try {
            TpmEngine e = TestEngines.allBanks();
            e.execute(Hex.cmd("8001 00000000 00000144 0000"), 0);
            byte[] first = e.encodeVolatile();
            e.execute(Hex.cmd("8002 00000000 00000182 00000000 00000009 40000009 0000 01 0000 00000001 000b"
                    + "00".repeat(31) + "01"), 0);
            byte[] second = e.encodeVolatile();
            try (StateStore s = StateStore.open(dir)) {
                s.saveLive(first);
                s.saveLive(second);
                assertArrayEquals(second, s.loadLive().orElseThrow());
            }
            // a crash left a temp file and cut the newest slot (seq 2 lives in slot 0) short
            Files.write(dir.resolve("permanent.bin.qdh-tmp-123"), new byte[] {1, 2, 3});
            try (RandomAccessFile f = new RandomAccessFile(dir.resolve(StateStore.LIVE).toFile(), "rw")) {
                f.seek(16 + 100);
                byte[] junk = new byte[64];
                java.util.Arrays.fill(junk, (byte) 0x5a);
                f.write(junk);
            }
            try (StateStore s = StateStore.open(dir)) {
                assertArrayEquals(first, s.loadLive().orElseThrow(), "the older intact slot wins");
                s.saveLive(second); // the next store goes over the older slot, leaving the torn one
                assertArrayEquals(second, s.loadLive().orElseThrow());
            }
            try (var files = Files.list(dir)) {
                assertTrue(files.noneMatch(p -> p.getFileName().toString().contains("qdh-tmp")));
            }
            try (StateStore s = StateStore.open(dir)) {
                assertArrayEquals(second, s.loadLive().orElseThrow(), "reopened: the newest intact slot");
                assertEquals(false, s.loadSaved().isPresent());
            }
        } finally {
            Hex.deleteTree(dir);
        }
    }
}
