package org.qemu.helpers.tpmstub.dbus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;

import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.UInt32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.vmstate.VMState1;
import org.qemu.helpers.tpmstub.Hex;
import org.qemu.helpers.tpmstub.Main;
import org.qemu.helpers.tpmstub.Swtpm;

/** The real helper process on a private bus: D-Bus members, trust gate, VMState1, crash safety. */
class TpmBusTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    private static final String PCR0_AFTER_ONE_EXTEND = "90f4b39548df55ad6187a1d20d731ecee78c545b94afd16f42ef7592d99cd365";
    private Path state;
    private int port;
    private HelperProcess helper;
    private DBusConnection conn;
    private TpmStub1 tpm;

    @BeforeEach
    void start() throws Exception {
        state = Files.createTempDirectory(BUS.dir(), "tpmstate");
        port = Swtpm.freePortPair();
        helper = startHelper();
        conn = BUS.connect();
        tpm = conn.getRemoteObject("org.qemu.TpmStub1", "/org/qemu/TpmStub1", TpmStub1.class);
    }

    private HelperProcess startHelper() throws Exception {
        return BUS.startHelper(Main.class, "--state-dir", state.toString(),
                "--server", "tcp:127.0.0.1:" + port, "--ctrl", "tcp:127.0.0.1:" + (port + 1))
                .awaitReady(Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() throws Exception {
        if (helper.isAlive()) {
            assertEquals(0, helper.stop(), helper.output());
        }
    }

    private byte[] tpmCommand(String hex) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            return Swtpm.exchange(s, Hex.cmd(hex));
        }
    }

    private static String errorName(DBusExecutionException e) {
        return (e.getType() != null ? e.getType() : e.getClass().getName()).replace('$', '.');
    }

    private static void assertError(String name, Executable call) {
        DBusExecutionException e = assertThrows(DBusExecutionException.class, call);
        assertEquals(name, errorName(e), e.getMessage());
    }

    private static void assertGdbusError(String name, String method, String... args) throws Exception {
        java.util.List<String> c = new java.util.ArrayList<>(java.util.List.of("gdbus", "call", "--address",
                BUS.address(), "--dest", "org.qemu.TpmStub1", "--object-path", "/org/qemu/TpmStub1", "--method",
                "org.qemu.TpmStub1." + method));
        c.addAll(java.util.List.of(args));
        ProcResult r = Commands.run(Duration.ofSeconds(20), c);
        assertFalse(r.ok(), r.toString());
        assertTrue(r.stderr().contains(name), r.toString());
    }

    private Object property(String name) throws Exception {
        return conn.getRemoteObject("org.qemu.TpmStub1", "/org/qemu/TpmStub1", Properties.class)
                .Get("org.qemu.TpmStub1", name);
    }

    private static byte[] one() {
        byte[] d = new byte[32];
        d[31] = 1;
        return d;
    }

    @Test
    void membersWorkAndReportTpmErrorsByName() throws Exception {
        assertError("org.qemu.TpmStub1.Error.NotStarted", () -> tpm.PcrRead("sha256", new UInt32(0)));
        assertEquals(false, property("Started"));
        assertEquals("80010000000a00000000", Hex.str(tpmCommand("8001 00000000 00000144 0000")));
        assertEquals(true, property("Started"));
        tpm.PcrExtend("sha256", new UInt32(0), one());
        assertEquals(PCR0_AFTER_ONE_EXTEND, HexFormat.of().formatHex(tpm.PcrRead("sha256", new UInt32(0))));
        // the guest sees the same PCR through TPM2_PCR_Read
        assertTrue(Hex.str(tpmCommand("8001 00000000 0000017e 00000001 000b03010000")).endsWith(PCR0_AFTER_ONE_EXTEND));
        assertEquals(20, tpm.PcrRead("sha1", new UInt32(23)).length);
        assertEquals(100, tpm.GetRandom(new UInt32(100)).length);
        // InvalidArgs as another client (gdbus) sees it on the wire
        assertGdbusError("org.freedesktop.DBus.Error.InvalidArgs", "PcrRead", "md5", "0");
        assertGdbusError("org.freedesktop.DBus.Error.InvalidArgs", "PcrRead", "sha1", "24");
        assertGdbusError("org.freedesktop.DBus.Error.InvalidArgs", "PcrExtend", "sha1", "0", "[byte 0x01]");
        assertGdbusError("org.freedesktop.DBus.Error.InvalidArgs", "GetRandom", "5000");
        assertError("org.qemu.TpmStub1.Error.Locality", () -> tpm.PcrExtend("sha256", new UInt32(17), one()));
        // operator properties follow the control channel
        try (Socket c = new Socket("127.0.0.1", port + 1)) {
            c.getOutputStream().write(Hex.bytes("00000005 03"));
            byte[] r = c.getInputStream().readNBytes(4);
            assertEquals("00000000", Hex.str(r));
        }
        assertEquals((byte) 3, property("Locality"));
        assertEquals(false, property("Established"));
        assertEquals(java.util.List.of("sha1", "sha256", "sha384", "sha512"), property("ActiveBanks"));
        assertEquals(java.util.List.of("sha1", "sha256", "sha384", "sha512"), property("Banks"));
        tpm.PcrExtend("sha256", new UInt32(17), one()); // allowed at locality 3
    }

    @Test
    void pcrExtendFromAPeerBelowAdminIsDeniedAndChangesNothing() throws Exception {
        tpmCommand("8001 00000000 00000144 0000");
        byte[] before = tpm.PcrRead("sha256", new UInt32(0));
        StringBuilder digest = new StringBuilder("[");
        for (int i = 0; i < 32; i++) {
            digest.append(i == 0 ? "" : ", ").append("byte 0x").append(i == 31 ? "01" : "00");
        }
        digest.append(']');
        ProcResult r = Commands.runAs(65534, "gdbus", "call", "--address", BUS.address(), "--dest",
                "org.qemu.TpmStub1", "--object-path", "/org/qemu/TpmStub1", "--method",
                "org.qemu.TpmStub1.PcrExtend", "sha256", "0", digest.toString());
        assertFalse(r.ok(), r.toString());
        assertTrue(r.stderr().contains("org.freedesktop.DBus.Error.AccessDenied"), r.toString());
        assertArrayEquals(before, tpm.PcrRead("sha256", new UInt32(0)));
        // the same call as the helper's own uid (admin without a policy) works
        ProcResult ok = Commands.run("gdbus", "call", "--address", BUS.address(), "--dest",
                "org.qemu.TpmStub1", "--object-path", "/org/qemu/TpmStub1", "--method",
                "org.qemu.TpmStub1.PcrExtend", "sha256", "0", digest.toString());
        assertTrue(ok.ok(), ok.toString());
        assertEquals(PCR0_AFTER_ONE_EXTEND, HexFormat.of().formatHex(tpm.PcrRead("sha256", new UInt32(0))));
    }

    @Test
    void vmstateSaveAndLoadCarryTheWholeStateAndBadBlobsChangeNothing() throws Exception {
        VMState1 vm = conn.getRemoteObject("org.qemu.TpmStub1", VMState1.PATH, VMState1.class);
        tpmCommand("8001 00000000 00000144 0000");
        tpm.PcrExtend("sha256", new UInt32(0), one());
        byte[] saved = vm.Save();
        tpm.PcrExtend("sha256", new UInt32(0), one());
        byte[] bad = saved.clone();
        bad[bad.length / 2] ^= 0x40;
        assertThrows(DBusExecutionException.class, () -> vm.Load(bad));
        assertThrows(DBusExecutionException.class, () -> vm.Load(java.util.Arrays.copyOf(saved, 100)));
        assertTrue(!PCR0_AFTER_ONE_EXTEND.equals(HexFormat.of().formatHex(tpm.PcrRead("sha256", new UInt32(0)))));
        vm.Load(saved);
        assertEquals(PCR0_AFTER_ONE_EXTEND, HexFormat.of().formatHex(tpm.PcrRead("sha256", new UInt32(0))));
        // the guest's view continues: the same update counter as right after the save
        String read = Hex.str(tpmCommand("8001 00000000 0000017e 00000001 000b03010000"));
        assertEquals("00000015", read.substring(20, 28), read);
    }

    @Test
    void killMinus9LosesNothingThatWasAcknowledged() throws Exception {
        tpmCommand("8001 00000000 00000144 0000");
        String ext = "8002 00000000 00000182 00000000 00000009 40000009 0000 01 0000 00000001 000b" + "00".repeat(31)
                + "01";
        assertEquals("80020000001300000000000000000000010000", Hex.str(tpmCommand(ext)));
        tpmCommand("8002 00000000 00000129 40000001 00000009 40000009 0000 01 0000 0003 6f776e");
        helper.kill();
        helper.awaitExit(Duration.ofSeconds(10));
        conn.close();
        helper = startHelper();
        conn = BUS.connect();
        tpm = conn.getRemoteObject("org.qemu.TpmStub1", "/org/qemu/TpmStub1", TpmStub1.class);
        assertEquals(true, property("Started"));
        assertEquals(PCR0_AFTER_ONE_EXTEND, HexFormat.of().formatHex(tpm.PcrRead("sha256", new UInt32(0))));
        String read = Hex.str(tpmCommand("8001 00000000 0000017e 00000001 000b03010000"));
        assertEquals("00000015", read.substring(20, 28), read);
        // the owner auth set just before the kill is still required
        assertEquals("80010000000a000009a2", Hex.str(tpmCommand(
                "8002 00000000 00000129 40000001 00000009 40000009 0000 01 0000 0000")));
    }

    @Test
    void aSecondHelperWithADifferentBankSetForTheSameStateIsRefusedWithAReason() throws Exception {
        assertEquals(0, helper.stop());
        HelperProcess second = BUS.startHelper(Main.class, "--state-dir", state.toString(), "--banks", "sha256",
                "--server", "tcp:127.0.0.1:" + port);
        int code = second.awaitExit(Duration.ofSeconds(30));
        assertEquals(2, code, second.output());
        assertTrue(second.output().contains("--banks"), second.output());
        helper = startHelper();
    }
}
