package org.qemu.helpers.tpmstub.dbus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.Tools;
import org.qemu.helpers.common.vmstate.VMState1;
import org.qemu.helpers.tpmstub.Main;
import org.qemu.helpers.tpmstub.Swtpm;
import org.qemu.helpers.tpmstub.Tpm2Tools;

/**
 * Issue 16 acceptance 2, the persistence half, with the real helper process: a sealed object made
 * persistent with tpm2_evictcontrol survives a kill -9 right after that command's response, and a
 * migration through VMState1 Save/Load (what QEMU's dbus-vmstate calls) to a helper with an empty
 * state directory, where it still unseals under its PCR policy and the SRK is the same key.
 */
class TpmBusSealingTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    private static HelperProcess start(Path state, int port) throws Exception {
        return BUS.startHelper(Main.class, "--state-dir", state.toString(),
                "--server", "tcp:127.0.0.1:" + port, "--ctrl", "tcp:127.0.0.1:" + (port + 1))
                .awaitReady(Duration.ofSeconds(30));
    }

    @Test
    void aPersistentSealedObjectSurvivesKillMinus9AndAVmstateMigration() throws Exception {
        Tools.require("tpm2_evictcontrol", "tpm2-tools");
        Path files = Files.createTempDirectory(BUS.dir(), "tools");
        Path stateA = Files.createTempDirectory(BUS.dir(), "stateA");
        Path stateB = Files.createTempDirectory(BUS.dir(), "stateB");
        int portA = Swtpm.freePortPair();
        HelperProcess a = start(stateA, portA);
        Tpm2Tools t = Tpm2Tools.tcp(portA, files);
        Files.writeString(files.resolve("secret"), "luks passphrase");
        t.ok("tpm2_startup", "-c");
        String srk = t.sealUnderSrk("sha256:7");
        t.ok("tpm2_evictcontrol", "-C", "o", "-c", t.file("seal.ctx"), "0x81000001");
        a.kill(); // SIGKILL right after the response that acknowledged the persistent object
        a.awaitExit(Duration.ofSeconds(10));

        a = start(stateA, portA);
        assertEquals("- 0x81000001\n", t.ok("tpm2_getcap", "handles-persistent"));
        assertEquals("luks passphrase", t.ok("tpm2_unseal", "-c", "0x81000001", "-p", "pcr:sha256:7"));
        t.flush();
        byte[] blob;
        try (DBusConnection conn = BUS.connect()) {
            blob = conn.getRemoteObject("org.qemu.TpmStub1", VMState1.PATH, VMState1.class).Save();
        }
        assertEquals(0, a.stop(), a.output());

        int portB = Swtpm.freePortPair();
        HelperProcess b = start(stateB, portB);
        try (DBusConnection conn = BUS.connect()) {
            conn.getRemoteObject("org.qemu.TpmStub1", VMState1.PATH, VMState1.class).Load(blob);
        }
        Tpm2Tools u = Tpm2Tools.tcp(portB, files);
        assertEquals("luks passphrase", u.ok("tpm2_unseal", "-c", "0x81000001", "-p", "pcr:sha256:7"));
        u.flush();
        assertEquals(srk, u.ok("tpm2_createprimary", "-C", "o", "-c", u.file("srk-b.ctx")), "the seeds migrated");
        u.flush();
        u.ok("tpm2_pcrextend", "7:sha256=" + "00".repeat(31) + "01");
        assertEquals("Esys_Unseal(0x99D)", u.fails("tpm2_unseal", "-c", "0x81000001", "-p", "pcr:sha256:7"));
        u.flush();
        assertEquals(0, b.stop(), b.output());
    }
}
