package org.qemu.helpers.tpmstub.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.types.UInt32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.Qemu;
import org.qemu.helpers.tpmstub.Hex;
import org.qemu.helpers.tpmstub.Main;
import org.qemu.helpers.tpmstub.Swtpm;
import org.qemu.helpers.tpmstub.Tpm2Tools;
import org.qemu.helpers.tpmstub.dbus.TpmStub1;

/**
 * The helper process as QEMU's TPM and as a dbus-vmstate participant at once: after a SeaBIOS
 * boot, QEMU migrates through a file (it calls VMState1.Save on the helper and fetches the TPM
 * blobs over the control channel); a fresh helper behind the destination QEMU gets both and shows
 * the same PCRs on the bus. Before the migration, tpm2-tools (over the helper's TCP data socket, next
 * to QEMU's channel) seal a secret to the booted PCR 7 and make it persistent with
 * tpm2_evictcontrol; after it, the destination's TPM unseals it (issue 16 acceptance 2).
 */
class QemuDbusVmstateTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @AfterEach
    void cleanUp() {
        BUS.killHelpers();
    }

    private static HelperProcess helper(Path state, Path ctrl, int port) throws Exception {
        return BUS.startHelper(Main.class, "--state-dir", state.toString(), "--ctrl", "unix:" + ctrl,
                "--server", "tcp:127.0.0.1:" + port).awaitReady(Duration.ofSeconds(30));
    }

    private static List<String> pcrs() throws Exception {
        List<String> out = new ArrayList<>();
        try (DBusConnection c = BUS.connect()) {
            TpmStub1 tpm = c.getRemoteObject("org.qemu.TpmStub1", "/org/qemu/TpmStub1", TpmStub1.class);
            for (String bank : new String[] {"sha1", "sha256", "sha384", "sha512"}) {
                for (int i = 0; i < 8; i++) {
                    out.add(bank + ":" + i + "=" + Hex.str(tpm.PcrRead(bank, new UInt32(i))));
                }
            }
        }
        return out;
    }

    @Test
    void migrationThroughDbusVmstateAndTheControlChannelKeepsThePcrs() throws Exception {
        Path dir = Files.createTempDirectory(BUS.dir(), "dv");
        String dv = "dbus-vmstate,id=dv,addr=" + BUS.qemuAddress() + ",id-list=tpm-stub";
        Path mig = dir.resolve("migration.bin");
        Path ctrlA = dir.resolve("a.ctrl");
        int portA = Swtpm.freePortPair();
        HelperProcess a = helper(dir.resolve("state-a"), ctrlA, portA);
        List<String> before;
        Files.writeString(dir.resolve("secret"), "migrated secret");
        org.qemu.helpers.common.testing.Tools.require("nc", "netcat-openbsd");
        try (Qemu q = QemuBoot.start(dir, "dva", ctrlA, "-object", dv)) {
            QemuBoot.awaitBootEnd(dir, "dva", q, Duration.ofSeconds(90));
            before = pcrs();
            Tpm2Tools t = Tpm2Tools.dataOnly(portA, dir);
            t.sealUnderSrk("sha256:7"); // SeaBIOS started the TPM: no tpm2_startup
            t.ok("tpm2_evictcontrol", "-C", "o", "-c", t.file("seal.ctx"), "0x81000001");
            t.flush();
            q.qmp().execute("migrate", Map.of("uri", "exec:cat > " + mig));
            q.qmp().awaitMigration(Duration.ofSeconds(60));
        }
        assertTrue(a.output().contains("vmstate-saved id=tpm-stub"), a.output());
        assertEquals(0, a.stop(), a.output());

        Path ctrlB = dir.resolve("b.ctrl");
        int portB = Swtpm.freePortPair();
        HelperProcess b = helper(dir.resolve("state-b"), ctrlB, portB);
        try (Qemu q2 = QemuBoot.start(dir, "dvb", ctrlB, "-object", dv, "-incoming", "exec:cat " + mig)) {
            q2.qmp().awaitMigration(Duration.ofSeconds(60));
            assertEquals(before, pcrs());
            Tpm2Tools u = Tpm2Tools.dataOnly(portB, dir);
            assertEquals("migrated secret", u.ok("tpm2_unseal", "-c", "0x81000001", "-p", "pcr:sha256:7"));
            u.flush();
        }
        assertTrue(b.output().contains("vmstate-loaded") || b.output().contains("state-loaded"), b.output());
        assertEquals(0, b.stop(), b.output());
    }
}
