package org.qemu.helpers.tpmstub.store;

import org.qemu.helpers.common.log.EventLog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qemu.helpers.common.store.WriteOrder;
import org.qemu.helpers.common.testing.RecordedOrder;
import org.qemu.helpers.common.testing.SmallTmpfs;
import org.qemu.helpers.tpmstub.device.TpmDevice;
import org.qemu.helpers.tpmstub.engine.HashAlg;

/**
 * The TPM's permanent state is on disk before the response that depends on it goes out
 * (recorded order of write, force, reply), and a full file system (a real tmpfs) fails the
 * command that needs new permanent state with a clear error, leaves the stored state intact,
 * keeps PCR updates working (the volatile slots are allocated at open) and recovers when space returns.
 */
class StateDurabilityTest {
    static final byte[] STARTUP_CLEAR = HexFormat.of().parseHex("80010000000c000001440000");
    static final byte[] SHUTDOWN_CLEAR = HexFormat.of().parseHex("80010000000c000001450000");

    @TempDir
    Path dir;

    /** TPM2_PCR_Extend of PCR 0, sha256, with an empty password session (Part 3 22.2). */
    static byte[] extend(int fill) {
        ByteBuffer b = ByteBuffer.allocate(65);
        b.putShort((short) 0x8002).putInt(65).putInt(0x182).putInt(0);
        b.putInt(9).putInt(0x40000009).putShort((short) 0).put((byte) 0).putShort((short) 0);
        b.putInt(1).putShort((short) 0x000b);
        for (int i = 0; i < 32; i++) {
            b.put((byte) fill);
        }
        return b.array();
    }

    static int rc(byte[] resp) {
        return ByteBuffer.wrap(resp, 6, 4).getInt();
    }

    /** The device's response is the reply: record it once execute returns it. */
    static byte[] reply(TpmDevice d, StateStore s, RecordedOrder order, byte[] cmd) {
        long before = s.permanentSeq();
        byte[] resp = d.execute(cmd);
        if (s.permanentSeq() != before) {
            order.record(WriteOrder.Step.REPLY, s.permanentSeq());
        }
        return resp;
    }

    @Test
    void aResponseThatChangedPermanentStateGoesOutAfterItsForce() throws Exception {
        RecordedOrder order = new RecordedOrder();
        StateStore s = StateStore.open(dir, order);
        try (TpmDevice d = TpmDevice.open(s, EnumSet.allOf(HashAlg.class), EventLog.NONE)) {
            assertEquals(0, d.init(0));
            for (int i = 0; i < 5; i++) {
                assertEquals(0, rc(reply(d, s, order, STARTUP_CLEAR)));
                assertEquals(0, rc(reply(d, s, order, extend(i))));
                assertEquals(0, rc(reply(d, s, order, SHUTDOWN_CLEAR)));
                d.stop("test");
                assertEquals(0, d.init(0));
            }
        }
        assertTrue(order.replies() >= 10, order.entries().toString());
        order.assertEachReplyAfterItsForce();
    }

    @Test
    void aFullDiskFailsNewPermanentStateClearlyAndRecovers() throws Exception {
        try (SmallTmpfs fs = SmallTmpfs.mount(512)) {
            Path d = fs.dir().resolve("tpm");
            StateStore s = StateStore.open(d);
            try (TpmDevice tpm = TpmDevice.open(s, EnumSet.allOf(HashAlg.class), EventLog.NONE)) {
                java.util.Map<String, String> degraded = new java.util.concurrent.ConcurrentHashMap<>();
                tpm.setHealth(new org.qemu.helpers.common.health.Health() {
                    @Override
                    public void degraded(String condition, String reason) {
                        degraded.put(condition, reason);
                    }

                    @Override
                    public void recovered(String condition) {
                        degraded.remove(condition);
                    }
                });
                assertEquals(0, tpm.init(0));
                assertEquals(0, rc(tpm.execute(STARTUP_CLEAR)));
                byte[] permanent = Files.readAllBytes(d.resolve(StateStore.PERMANENT));
                fs.fill();
                for (int i = 0; i < 50; i++) {
                    assertEquals(0, rc(tpm.execute(extend(i))), "PCR_Extend on a full disk (volatile slots)");
                }
                UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> tpm.execute(SHUTDOWN_CLEAR));
                assertTrue(e.getMessage().contains("cannot persist TPM state in " + d)
                        && String.valueOf(e.getCause().getMessage()).contains("No space left"), e + ": " + e.getCause());
                assertArrayEquals(permanent, Files.readAllBytes(d.resolve(StateStore.PERMANENT)),
                        "the stored permanent state is untouched");
                try (var files = Files.list(d)) {
                    assertEquals(0, files.filter(p -> p.getFileName().toString().contains(".qdh-tmp-")).count(),
                            "no temporary file left behind");
                }
                assertTrue(String.valueOf(degraded.get(TpmDevice.STORE_CONDITION)).contains("No space left"),
                        "issue 11: the helper shows degraded while it cannot store its state: " + degraded);
                fs.free();
                assertEquals(0, rc(tpm.execute(SHUTDOWN_CLEAR)), "space returned: the shutdown state is stored");
                assertEquals(java.util.Map.of(), degraded, "stored again: no longer degraded");
            }
            StateStore reopened = StateStore.open(d);
            assertTrue(reopened.loadPermanent().isPresent() && reopened.loadLive().isPresent());
            reopened.close();
        }
    }
}
