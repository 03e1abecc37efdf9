package org.qemu.helpers.uiclient.display;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.Qemu;
import org.qemu.helpers.uiclient.engine.ConsoleDisplay;
import org.qemu.helpers.uiclient.engine.KeyEvent;
import org.qemu.helpers.uiclient.engine.PngCodec;
import org.qemu.helpers.uiclient.engine.Qnum;
import org.qemu.helpers.uiclient.testutil.VmDisplay;

/** The display client against a real QEMU 7.2 ({@code -display dbus,gl=off -vga std}, SeaBIOS, no disk). */
@Timeout(180)
class DisplayClientQemuTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();
    private static DBusConnection conn;

    @BeforeAll
    static void connect() throws Exception {
        conn = BUS.connect();
    }

    /** Pixels that differ from the most common colour (the background). */
    static long textPixels(ConsoleDisplay.Frame f) {
        java.util.Map<Integer, Long> hist = new java.util.HashMap<>();
        for (int p : f.rgb()) {
            hist.merge(p, 1L, Long::sum);
        }
        long background = hist.values().stream().mapToLong(Long::longValue).max().orElse(0);
        return f.rgb().length - background;
    }

    @Test
    void screenshotOfSeaBiosMatchesQemuScreendumpAndAKeystrokeReachesTheGuest() throws Exception {
        try (Qemu qemu = VmDisplay.start(BUS, "seabios");
             DisplayClient client = new DisplayClient(conn, owner -> Optional.empty(), UiLog.stderr())) {
            client.start();
            assertEquals(DisplayClient.State.ATTACHED, client.await(Duration.ofSeconds(30)), qemu.output());
            VmInfo vm = client.vm().orElseThrow();
            assertEquals("seabios", vm.name());
            assertEquals(List.of(0), vm.consoleIds());
            assertEquals("Graphic", client.consoles().get(0).type());
            ConsoleDisplay d = client.display(0).orElseThrow();
            // SeaBIOS waits at "Press ESC for boot menu."; the text cursor blinks, so allow one
            // 9x16 character cell to differ from QEMU's own screendump taken a moment later.
            int[] best = {Integer.MAX_VALUE};
            ConsoleDisplay.Frame[] matched = new ConsoleDisplay.Frame[1];
            Path ppm = BUS.dir().resolve("dump.ppm");
            assertTrue(VmDisplay.waitFor(Duration.ofSeconds(60), () -> {
                try {
                    ConsoleDisplay.Frame f = d.frame();
                    if (f == null) {
                        return false;
                    }
                    int diff = VmDisplay.differingPixels(f.width(), f.height(), f.rgb(), VmDisplay.screendump(qemu, ppm));
                    best[0] = Math.min(best[0], diff);
                    // The prompt's mode only (80x25 cells of 9 dots): frames before it can match QEMU's screendump
                    // too (CI once matched a 640-wide frame, 8-dot cells, early in boot under load).
                    if (f.width() == 720 && textPixels(f) > 500 && diff <= 9 * 16) {
                        matched[0] = f;
                        return true;
                    }
                    return false;
                } catch (java.io.IOException e) {
                    return false;
                }
            }), "frame never matched QEMU's screendump (best: " + best[0] + " pixels differ)");
            // The frame that matched, not a later one: after the boot menu's wait SeaBIOS goes on booting and the
            // mode can change (a 640-wide frame here once, under load, between the match and the encode).
            byte[] png = PngCodec.encode(matched[0], false);
            Path out = Path.of("target", "test-artifacts");
            Files.createDirectories(out);
            Files.write(out.resolve("seabios-console0.png"), png);
            var img = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
            assertEquals(720, img.getWidth(), "VGA text mode: 80x25 cells of 9x16");
            assertEquals(400, img.getHeight());
            assertEquals(0, d.rejected(), "real QEMU messages must all be accepted");

            // Caps Lock: SeaBIOS toggles the LED from its keyboard service; QEMU reflects the
            // LEDs in Keyboard.Modifiers (bit 2 = caps lock).
            long before = client.modifiers(0);
            client.keys(0, List.of(KeyEvent.press(Qnum.CAPS_LOCK), KeyEvent.release(Qnum.CAPS_LOCK)));
            assertTrue(VmDisplay.waitFor(Duration.ofSeconds(20), () -> {
                try {
                    return client.modifiers(0) != before;
                } catch (DisplayUnavailableException e) {
                    return false;
                }
            }), "Keyboard.Modifiers stayed " + before);
            assertEquals(4, (client.modifiers(0) ^ before) & 4, "caps lock bit toggled");
        }
    }

    @Test
    void listenerFollowsQemuRestartAndRegistersAgain() throws Exception {
        try (DisplayClient client = new DisplayClient(conn, owner -> Optional.empty(), UiLog.stderr())) {
            client.start();
            String firstOwner;
            ConsoleDisplay d;
            try (Qemu first = VmDisplay.start(BUS, "first")) {
                assertEquals(DisplayClient.State.ATTACHED, client.await(Duration.ofSeconds(30)), first.output());
                firstOwner = client.vm().orElseThrow().owner();
                d = client.display(0).orElseThrow();
                assertTrue(VmDisplay.waitFor(Duration.ofSeconds(30), () -> d.updates() > 0), first.output());
            }
            assertTrue(VmDisplay.waitFor(Duration.ofSeconds(20), () -> client.state() == DisplayClient.State.NO_QEMU));
            assertThrows(DisplayUnavailableException.class, () -> client.modifiers(0));
            try (Qemu second = VmDisplay.start(BUS, "second")) {
                assertTrue(VmDisplay.waitFor(Duration.ofSeconds(30), () -> client.state() == DisplayClient.State.ATTACHED
                        && client.vm().map(v -> v.name().equals("second")).orElse(false)), second.output());
                assertNotEquals(firstOwner, client.vm().orElseThrow().owner());
                long seen = d.updates();
                assertTrue(VmDisplay.waitFor(Duration.ofSeconds(30), () -> d.updates() > seen),
                        "no frames after the restart: " + second.output());
                assertNotNull(d.frame());
            }
        }
    }

    @Test
    void ownerRefusedByTheGateGetsNothing() throws Exception {
        AtomicReference<String> asked = new AtomicReference<>();
        try (Qemu qemu = VmDisplay.start(BUS, "untrusted");
             DisplayClient client = new DisplayClient(conn, owner -> {
                 asked.set(owner);
                 return Optional.of("owner " + owner + " is untrusted, vmm needed");
             }, UiLog.stderr())) {
            client.start();
            assertEquals(DisplayClient.State.REFUSED, client.await(Duration.ofSeconds(30)), qemu.output());
            assertTrue(asked.get().startsWith(":"), "the gate sees the unique name");
            DisplayUnavailableException e = assertThrows(DisplayUnavailableException.class,
                    () -> client.keys(0, List.of(KeyEvent.press(Qnum.CAPS_LOCK))));
            assertTrue(e.getMessage().contains("untrusted"), e.getMessage());
            assertTrue(client.consoles().isEmpty());
            assertTrue(client.display(0).isEmpty());
            assertTrue(VmDisplay.keyboardTrace(qemu.output()).isEmpty(), "no key reached the refused QEMU");
        }
    }
}
