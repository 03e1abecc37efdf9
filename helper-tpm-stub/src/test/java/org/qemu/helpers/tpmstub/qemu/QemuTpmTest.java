package org.qemu.helpers.tpmstub.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.testing.Qemu;
import org.qemu.helpers.tpmstub.Hex;
import org.qemu.helpers.tpmstub.InProcessTpm;
import org.qemu.helpers.tpmstub.transport.Endpoint;

/**
 * QEMU 7.2 with SeaBIOS and no disk, once with swtpm and once with this helper as its TPM: the
 * firmware's measurements in PCRs 0-7 (every bank, and the PCR update counter) must be the same.
 * Then QEMU migrates through a file to a second QEMU with a fresh helper: the PCRs move along.
 */
class QemuTpmTest {
    private static final Duration BOOT = Duration.ofSeconds(90);

    /** PCR_Read of PCRs 0-7 of one bank (8 digests: the most one PCR_Read returns). */
    static List<byte[]> readCommands() {
        List<byte[]> c = new ArrayList<>();
        for (String bank : new String[] {"0004", "000b", "000c", "000d"}) {
            c.add(Hex.cmd("8001 00000000 0000017e 00000001 " + bank + "03ff0000"));
        }
        return c;
    }

    static List<String> read(InProcessTpm tpm) {
        List<String> out = new ArrayList<>();
        for (byte[] c : readCommands()) {
            out.add(Hex.str(tpm.device.execute(c)));
        }
        return out;
    }

    @Test
    void seabiosMeasurementsEqualSwtpmsAndSurviveMigrationToAFreshHelper() throws Exception {
        Path dir = Files.createTempDirectory("qemu-tpm");
        try {
            List<String> theirs = new ArrayList<>();
            Path swCtrl = dir.resolve("sw.ctrl");
            try (SwtpmTap tap = SwtpmTap.start(dir, swCtrl); Qemu q = QemuBoot.start(dir, "sw", swCtrl)) {
                QemuBoot.awaitBootEnd(dir, "sw", q, BOOT);
                for (byte[] c : readCommands()) {
                    theirs.add(Hex.str(tap.command(c)));
                }
            }
            Path ctrlA = dir.resolve("a.ctrl");
            Path ctrlB = dir.resolve("b.ctrl");
            Path mig = dir.resolve("migration.bin");
            List<String> ours;
            try (InProcessTpm a = InProcessTpm.start(dir.resolve("state-a"), null, new Endpoint.Unix(ctrlA))) {
                try (Qemu q = QemuBoot.start(dir, "a", ctrlA)) {
                    QemuBoot.awaitBootEnd(dir, "a", q, BOOT);
                    ours = read(a);
                    assertEquals(theirs, ours, "PCRs 0-7 after the same SeaBIOS boot (swtpm vs helper)");
                    assertTrue(!ours.get(1).contains("0020" + "00".repeat(32)),
                            "SeaBIOS measured into every PCR 0-7 of sha256: " + ours.get(1));
                    q.qmp().execute("migrate", Map.of("uri", "exec:cat > " + mig));
                    try {
                        q.qmp().awaitMigration(Duration.ofSeconds(60));
                    } catch (java.io.IOException e) {
                        throw new AssertionError(e.getMessage() + "; QEMU said: " + q.output(), e);
                    }
                }
                // a fresh helper (empty state directory) behind the destination QEMU
                try (InProcessTpm b = InProcessTpm.start(dir.resolve("state-b"), null, new Endpoint.Unix(ctrlB));
                     Qemu q2 = QemuBoot.start(dir, "b", ctrlB, "-incoming", "exec:cat " + mig)) {
                    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    String status = "";
                    while (System.nanoTime() < end) {
                        status = q2.qmp().execute("query-status", Map.of()).path("status").asText();
                        if (status.equals("paused") || status.equals("running")) {
                            break;
                        }
                        Thread.sleep(100);
                    }
                    assertTrue(status.equals("paused") || status.equals("running"), "destination status " + status);
                    assertEquals(ours, read(b), "PCRs after migration to a fresh helper");
                    assertTrue(b.device.status().started());
                }
            }
        } finally {
            Hex.deleteTree(dir);
        }
    }
}
