package org.qemu.helpers.uiclient.dbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.imageio.ImageIO;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.UInt32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.PrivateBusAccess;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Qemu;
import org.qemu.helpers.common.testing.Tools;
import org.qemu.helpers.uiclient.Main;
import org.qemu.helpers.uiclient.testutil.VmDisplay;

/** The helper as its own process on a private bus, with a real QEMU 7.2: org.qemu.UiClient1 and the CLI. */
@Timeout(240)
class UiClientServiceTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();
    private static final String DEST = "org.qemu.UiClient1";

    @AfterEach
    void killHelpers() {
        BUS.killHelpers();
    }

    private HelperProcess startHelper() throws Exception {
        Path state = Files.createTempDirectory(BUS.dir(), "state");
        return BUS.startHelper(Main.class, "--state-dir", state.toString(), "--web", "off")
                .awaitReady(Duration.ofSeconds(60));
    }

    private static String property(DBusConnection c, String name) throws Exception {
        Object v = c.getRemoteObject(DEST, UiClient1Service.PATH, Properties.class).Get(UiClient1Service.IFACE, name);
        return String.valueOf(v instanceof org.freedesktop.dbus.types.Variant<?> var ? var.getValue() : v);
    }

    /**
     * Call a UiClient1 method with gdbus (GLib's client, a real peer) and return its stderr,
     * which names the D-Bus error ("GDBus.Error:NAME: message"); fails if the call succeeds.
     */
    static String gdbusError(String method, String... args) throws Exception {
        Tools.require("gdbus", "libglib2.0-bin");
        List<String> cmd = new java.util.ArrayList<>(List.of("gdbus", "call", "--address", BUS.address(), "--dest", DEST,
                "--object-path", UiClient1Service.PATH, "--method", UiClient1Service.IFACE + "." + method));
        cmd.addAll(List.of(args));
        ProcResult r = Commands.run(Duration.ofSeconds(30), cmd);
        assertFalse(r.ok(), "expected an error from " + method + ": " + r);
        return r.stderr();
    }

    @Test
    void screenshotMatchesQemuAndTypedTextReachesTheGuestKeyboard() throws Exception {
        try (Qemu qemu = VmDisplay.start(BUS, "svc")) {
            HelperProcess helper = startHelper();
            DBusConnection c = BUS.connect();
            assertTrue(VmDisplay.waitFor(Duration.ofSeconds(30), () -> {
                try {
                    return property(c, "DisplayState").equals("attached");
                } catch (Exception e) {
                    return false;
                }
            }), helper.output());
            assertEquals("svc", property(c, "VmName"));
            assertEquals("[0]", property(c, "Consoles"));
            UiClient1 ui = c.getRemoteObject(DEST, UiClient1Service.PATH, UiClient1.class);
            Path ppm = BUS.dir().resolve("svc.ppm");
            byte[][] png = new byte[1][];
            int[] best = {Integer.MAX_VALUE};
            assertTrue(VmDisplay.waitFor(Duration.ofSeconds(60), () -> {
                try {
                    png[0] = ui.Screenshot(new UInt32(0));
                    var img = ImageIO.read(new ByteArrayInputStream(png[0]));
                    int[] rgb = img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
                    for (int i = 0; i < rgb.length; i++) {
                        rgb[i] &= 0xffffff;
                    }
                    int diff = VmDisplay.differingPixels(img.getWidth(), img.getHeight(), rgb,
                            VmDisplay.screendump(qemu, ppm));
                    best[0] = Math.min(best[0], diff);
                    return diff <= 9 * 16;
                } catch (Exception e) {
                    return false;
                }
            }), "Screenshot never matched QEMU's screendump (best " + best[0] + ")\n" + helper.output());
            Path out = Path.of("target", "test-artifacts");
            Files.createDirectories(out);
            Files.write(out.resolve("screenshot-over-dbus.png"), png[0]);

            ui.TypeText(new UInt32(0), "Hi");
            // QKeyCode numbers in QEMU's trace: shift = 1, h = 41, i = 30.
            List<String> expected = List.of("qcode 1 down 1", "qcode 41 down 1", "qcode 41 down 0", "qcode 1 down 0",
                    "qcode 30 down 1", "qcode 30 down 0");
            assertTrue(VmDisplay.waitFor(Duration.ofSeconds(10),
                    () -> {
                        try {
                            return VmDisplay.keyboardTrace(qemu.output()).equals(expected);
                        } catch (java.io.IOException e) {
                            return false;
                        }
                    }), "guest keyboard saw " + VmDisplay.keyboardTrace(qemu.output()));

            // bad arguments: a character with no US key, a console that does not exist
            String bad = gdbusError("TypeText", "0", "caf\u00e9");
            assertTrue(bad.contains("org.freedesktop.DBus.Error.InvalidArgs") && bad.contains("U+00E9"), bad);
            String none = gdbusError("Screenshot", "7");
            assertTrue(none.contains("org.qemu.UiClient1.Error.NoDisplay") && none.contains("no console 7"), none);
            assertEquals(6, VmDisplay.keyboardTrace(qemu.output()).size(), "the refused text sent no key");
        }
    }

    /** "method Name(sig)->sig" and "property Name type" entries of an introspection document. */
    static java.util.Set<String> members(String xml) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        String iface = xml.substring(xml.indexOf("<interface name=\"org.qemu.UiClient1\""));
        iface = iface.substring(0, iface.indexOf("</interface>"));
        var m = java.util.regex.Pattern.compile("<method name=\"(\\w+)\"(.*?)</method>", java.util.regex.Pattern.DOTALL)
                .matcher(iface);
        while (m.find()) {
            StringBuilder in = new StringBuilder();
            StringBuilder outSig = new StringBuilder();
            var a = java.util.regex.Pattern.compile("<arg[^>]*type=\"([^\"]+)\"[^>]*direction=\"(in|out)\"")
                    .matcher(m.group(2).replaceAll("<arg([^>]*)direction=\"(in|out)\"([^>]*)type=\"([^\"]+)\"",
                            "<arg type=\"$4\" direction=\"$2\""));
            while (a.find()) {
                (a.group(2).equals("in") ? in : outSig).append(a.group(1));
            }
            out.add("method " + m.group(1) + "(" + in + ")->" + outSig);
        }
        var p = java.util.regex.Pattern.compile("<property name=\"(\\w+)\" type=\"([^\"]+)\"").matcher(iface);
        while (p.find()) {
            out.add("property " + p.group(1) + " " + p.group(2));
        }
        return out;
    }

    @Test
    void introspectionMatchesTheShippedXml() throws Exception {
        startHelper();
        String live = BUS.connect().getRemoteObject(DEST, UiClient1Service.PATH,
                org.freedesktop.dbus.interfaces.Introspectable.class).Introspect();
        String shipped;
        try (var in = UiClient1Service.class.getResourceAsStream("/org.qemu.UiClient1.xml")) {
            shipped = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        assertEquals(members(shipped), members(live), live);
        assertEquals(java.util.Set.of("method Screenshot(u)->ay", "method TypeText(us)->", "property Consoles au",
                "property DisplayState s", "property VmName s", "property WebConsole s"), members(shipped));
    }

    @Test
    void callersBelowTheMethodsLevelAreDenied() throws Exception {
        HelperProcess helper = startHelper();
        for (String[] call : List.of(new String[] {"Screenshot", "u", "0"}, new String[] {"TypeText", "us", "0", "x"})) {
            String[] cmd = new String[7 + call.length];
            System.arraycopy(new String[] {"busctl", "--address=" + BUS.address(), "call", DEST,
                    UiClient1Service.PATH, UiClient1Service.IFACE, call[0]}, 0, cmd, 0, 7);
            System.arraycopy(call, 1, cmd, 7, call.length - 1);
            cmd[cmd.length - 1] = call[call.length - 1];
            ProcResult r = Commands.runAs(65534, java.util.Arrays.copyOf(cmd, 6 + call.length));
            assertFalse(r.ok(), r.toString());
            assertTrue(r.stderr().contains("Access denied") || r.stderr().contains("AccessDenied"), r.toString());
        }
        assertTrue(helper.output().contains("denied"), helper.output());
    }

    @Test
    void qemuOwnedByAnUntrustedUserIsRefused() throws Exception {
        HelperProcess helper = startHelper();
        Process qemu = VmDisplay.startAs(BUS, 65534, "nobody");
        try {
            helper.awaitLog("qemu-refused", Duration.ofSeconds(30));
            DBusConnection c = BUS.connect();
            assertEquals("refused", property(c, "DisplayState"));
            UiClient1 ui = c.getRemoteObject(DEST, UiClient1Service.PATH, UiClient1.class);
            String e = gdbusError("Screenshot", "0");
            assertTrue(e.contains("org.qemu.UiClient1.Error.UntrustedDisplay") && e.contains("untrusted")
                    && e.contains("uid 65534"), e);
            String t = gdbusError("TypeText", "0", "secret");
            assertTrue(t.contains("org.qemu.UiClient1.Error.UntrustedDisplay"), t);
            String log = Files.readString(BUS.dir().resolve("nobody.log"));
            assertTrue(VmDisplay.keyboardTrace(log).isEmpty(), "no key reached the untrusted QEMU: " + log);
        } finally {
            VmDisplay.kill(qemu);
        }
    }

    @Test
    void screenshotAndTypeSubcommandsWorkWithoutTheService() throws Exception {
        try (Qemu qemu = VmDisplay.start(BUS, "cli")) {
            Path png = BUS.dir().resolve("cli.png");
            HelperProcess shot = PrivateBusAccess.start(Main.class, BUS.dir(), List.of("screenshot",
                    "--bus-address=" + BUS.address(), "--console", "0", "--out", png.toString()));
            assertEquals(0, shot.awaitExit(Duration.ofSeconds(60)), shot.output());
            var img = ImageIO.read(png.toFile());
            assertTrue(img.getWidth() >= 640 && img.getHeight() >= 400, img.getWidth() + "x" + img.getHeight());

            HelperProcess type = PrivateBusAccess.start(Main.class, BUS.dir(), List.of("type",
                    "--bus-address=" + BUS.address(), "--console", "0", "a"));
            assertEquals(0, type.awaitExit(Duration.ofSeconds(60)), type.output());
            assertTrue(VmDisplay.waitFor(Duration.ofSeconds(10), () -> {
                try {
                    return VmDisplay.keyboardTrace(qemu.output()).contains("qcode 36 down 1");
                } catch (java.io.IOException e) {
                    return false;
                }
            }), qemu.output());

            HelperProcess bad = PrivateBusAccess.start(Main.class, BUS.dir(), List.of("screenshot",
                    "--bus-address=" + BUS.address(), "--console", "3", "--out", png.toString()));
            assertEquals(1, bad.awaitExit(Duration.ofSeconds(60)), bad.output());
            assertTrue(bad.output().contains("no-console"), bad.output());
        }
    }
}
