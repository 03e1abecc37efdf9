package org.qemu.helpers.uiclient.dbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.UInt32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.PrivateBusAccess;
import org.qemu.helpers.common.testing.Qemu;
import org.qemu.helpers.uiclient.Main;
import org.qemu.helpers.uiclient.testutil.VmDisplay;

/**
 * Issue 17: "the current frame" is the screen, from the very first listener QEMU gets. Each
 * guest is booted fresh and left alone (no listener, no screendump) until the client attaches,
 * because a QEMU 7.2 VGA console is refreshed only while a listener is registered: the first
 * listener is handed the 640x480 placeholder. Then 20 one-shot {@code screenshot} runs, or 20
 * {@code Screenshot} calls on a helper that attached first; each is compared, without retry,
 * with QMP screendump taken right after it: same size, differences within one character cell.
 */
@Timeout(900)
class CurrentFrameQemuTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();
    private static final int SHOTS = 20;

    @AfterEach
    void killHelpers() {
        BUS.killHelpers();
    }

    /** A guest to look at; boots a fresh QEMU and waits until it has drawn, without a listener. */
    private interface Guest {
        Qemu boot(String name) throws Exception;
    }

    private static Guest linuxText() {
        return name -> {
            Qemu q = VmDisplay.startLinux(BUS, name, "");
            VmDisplay.awaitInit(BUS, name, Duration.ofSeconds(3));
            return q;
        };
    }

    private static Guest linuxGraphics() {
        // vga=0x314: the kernel's real-mode setup sets VBE 800x600x16 (SeaBIOS text -> graphics).
        return name -> {
            Qemu q = VmDisplay.startLinux(BUS, name, "vga=0x314");
            VmDisplay.awaitInit(BUS, name, Duration.ofSeconds(3));
            return q;
        };
    }

    private static Guest seabios() {
        return name -> {
            Qemu q = VmDisplay.start(BUS, name);
            Thread.sleep(6000); // SeaBIOS draws its banner and waits at the boot menu (60 s splash)
            return q;
        };
    }

    @Test
    void oneShotScreenshotsOfALinuxTextConsoleAreTheScreen() throws Exception {
        oneShots("lxt", linuxText(), 720, 400);
    }

    @Test
    void screenshotCallsOnALinuxTextConsoleAreTheScreen() throws Exception {
        dbusCalls("lxd", linuxText(), 720, 400);
    }

    @Test
    void oneShotScreenshotsOfSeabiosAreTheScreen() throws Exception {
        oneShots("bios1", seabios(), 720, 400);
    }

    @Test
    void screenshotCallsOnSeabiosAreTheScreen() throws Exception {
        dbusCalls("bios2", seabios(), 720, 400);
    }

    @Test
    void oneShotScreenshotsAfterATextToGraphicsSwitchAreTheScreen() throws Exception {
        oneShots("gfx1", linuxGraphics(), 800, 600);
    }

    @Test
    void screenshotCallsAfterATextToGraphicsSwitchAreTheScreen() throws Exception {
        dbusCalls("gfx2", linuxGraphics(), 800, 600);
    }

    private void oneShots(String name, Guest guest, int w, int h) throws Exception {
        try (Qemu qemu = guest.boot(name)) {
            List<String> bad = new ArrayList<>();
            for (int i = 0; i < SHOTS; i++) {
                Path png = BUS.dir().resolve(name + "-" + i + ".png");
                HelperProcess shot = PrivateBusAccess.start(Main.class, BUS.dir(), List.of("screenshot",
                        "--bus-address=" + BUS.address(), "--console", "0", "--out", png.toString()));
                assertEquals(0, shot.awaitExit(Duration.ofSeconds(60)), shot.output());
                String diff = compare(qemu, name, ImageIO.read(png.toFile()));
                if (!diff.isEmpty()) {
                    bad.add("shot " + i + ": " + diff);
                    keep(png, name + "-" + i + ".png");
                }
            }
            assertTrue(bad.isEmpty(), "screenshots that were not the screen (expected " + w + "x" + h + "): " + bad);
            assertEquals(w + "x" + h, size(VmDisplay.screendump(qemu, BUS.dir().resolve(name + ".ppm"))));
        }
    }

    private void dbusCalls(String name, Guest guest, int w, int h) throws Exception {
        try (Qemu qemu = guest.boot(name)) {
            Path state = Files.createTempDirectory(BUS.dir(), "state");
            HelperProcess helper = BUS.startHelper(Main.class, "--state-dir", state.toString(), "--web", "off")
                    .awaitReady(Duration.ofSeconds(60));
            DBusConnection c = BUS.connect();
            assertTrue(VmDisplay.waitFor(Duration.ofSeconds(30), () -> {
                try {
                    Object v = c.getRemoteObject("org.qemu.UiClient1", UiClient1Service.PATH, Properties.class)
                            .Get(UiClient1Service.IFACE, "DisplayState");
                    return "attached".equals(String.valueOf(
                            v instanceof org.freedesktop.dbus.types.Variant<?> var ? var.getValue() : v));
                } catch (Exception e) {
                    return false;
                }
            }), helper.output());
            UiClient1 ui = c.getRemoteObject("org.qemu.UiClient1", UiClient1Service.PATH, UiClient1.class);
            List<String> bad = new ArrayList<>();
            for (int i = 0; i < SHOTS; i++) {
                byte[] png = ui.Screenshot(new UInt32(0));
                String diff = compare(qemu, name, ImageIO.read(new ByteArrayInputStream(png)));
                if (!diff.isEmpty()) {
                    bad.add("call " + i + ": " + diff);
                    Files.write(BUS.dir().resolve(name + "-" + i + ".png"), png);
                    keep(BUS.dir().resolve(name + "-" + i + ".png"), name + "-" + i + ".png");
                }
            }
            assertTrue(bad.isEmpty(), "Screenshot results that were not the screen (expected " + w + "x" + h + "): "
                    + bad + "\n" + helper.output());
            assertEquals(w + "x" + h, size(VmDisplay.screendump(qemu, BUS.dir().resolve(name + ".ppm"))));
        }
    }

    /** The image against a screendump taken right after it ("" when it is the screen). */
    private static String compare(Qemu qemu, String name, BufferedImage img) throws Exception {
        int[] dump = VmDisplay.screendump(qemu, BUS.dir().resolve(name + ".ppm"));
        int[] rgb = img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] &= 0xffffff;
        }
        return VmDisplay.sameUpToOneCell(img.getWidth(), img.getHeight(), rgb, dump);
    }

    private static String size(int[] dump) {
        return dump[0] + "x" + dump[1];
    }

    private static void keep(Path png, String as) throws Exception {
        Path out = Path.of("target", "test-artifacts");
        Files.createDirectories(out);
        Files.copy(png, out.resolve("wrong-" + as), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
