package org.qemu.helpers.uiclient.display;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.qemu.helpers.uiclient.engine.ConsoleDisplay;
import org.qemu.helpers.uiclient.engine.KeyEvent;
import org.qemu.helpers.uiclient.engine.PngCodec;
import org.qemu.helpers.uiclient.engine.Qnum;
import org.qemu.helpers.uiclient.testutil.Qemu;
import org.qemu.helpers.uiclient.testutil.Qmp;
import org.qemu.helpers.uiclient.testutil.TestBus;

/** The display client against a real QEMU 7.2 ({@code -display dbus,gl=off -vga std}, SeaBIOS, no disk). */
@Timeout(180)
class DisplayClientQemuTest {
    private static TestBus bus;
    private static DBusConnection conn;

    @BeforeAll
    static void startBus() throws Exception {
        bus = TestBus.start();
        conn = bus.connect();
    }

    @AfterAll
    static void stopBus() throws Exception {
        if (conn != null) {
            conn.close();
        }
        if (bus != null) {
            bus.close();
        }
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

    /** Pixels where the frame differs from QEMU's own screendump (Integer.MAX_VALUE if sizes differ). */
    static int differingPixels(ConsoleDisplay.Frame f, int[] dump) {
        if (f == null || dump[0] != f.width() || dump[1] != f.height()) {
            return Integer.MAX_VALUE;
        }
        int diff = 0;
        for (int i = 0; i < f.rgb().length; i++) {
            if (f.rgb()[i] != dump[2 + i]) {
                diff++;
            }
        }
        return diff;
    }

    @Test
    void screenshotOfSeaBiosMatchesQemuScreendumpAndAKeystrokeReachesTheGuest() throws Exception {
        Path qmpSock = bus.dir().resolve("qmp-seabios.sock");
        try (Qemu qemu = Qemu.start(bus.address(), bus.dir(), "seabios", "-boot", "menu=on,splash-time=60000",
                "-qmp", "unix:" + qmpSock + ",server=on,wait=off");
             DisplayClient client = new DisplayClient(conn, owner -> Optional.empty(), UiLog.stderr())) {
            client.start();
            assertEquals(DisplayClient.State.ATTACHED, client.await(Duration.ofSeconds(30)), qemu.output());
            VmInfo vm = client.vm().orElseThrow();
            assertEquals("seabios", vm.name());
            assertEquals(List.of(0), vm.consoleIds());
            ConsoleInfo ci = client.consoles().get(0);
            assertEquals("Graphic", ci.type());
            ConsoleDisplay d = client.display(0).orElseThrow();
            // SeaBIOS waits at "Press ESC for boot menu."; the text cursor blinks, so allow one
            // 9x16 character cell to differ from QEMU's own screendump taken a moment later.
            int[] best = {Integer.MAX_VALUE};
            try (Qmp qmp = new Qmp(qmpSock)) {
                assertTrue(Qemu.waitFor(Duration.ofSeconds(60), () -> {
                    try {
                        ConsoleDisplay.Frame f = d.frame();
                        int diff = differingPixels(f, qmp.screendump(bus.dir().resolve("dump.ppm")));
                        best[0] = Math.min(best[0], diff);
                        return f != null && textPixels(f) > 500 && diff <= 9 * 16;
                    } catch (java.io.IOException e) {
                        return false;
                    }
                }), "frame never matched QEMU's screendump (best " + best[0] + " pixels differ); qemu: "
                        + qemu.output());
            }
            ConsoleDisplay.Frame f = d.frame();
            byte[] png = PngCodec.encode(f, false);
            Path out = Path.of("target", "test-artifacts");
            Files.createDirectories(out);
            Files.write(out.resolve("seabios-console0.png"), png);
            var img = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(png));
            assertEquals(720, img.getWidth(), "VGA text mode 80x25 with 9x16 cells");
            assertEquals(400, img.getHeight());
            assertEquals(0, d.rejected(), "real QEMU messages must all be accepted");

            // Caps Lock: SeaBIOS's keyboard handler toggles the LED; QEMU reflects the LEDs in
            // Keyboard.Modifiers (bit 2 = caps lock).
            long before = client.modifiers(0);
            client.keys(0, List.of(KeyEvent.press(Qnum.CAPS_LOCK), KeyEvent.release(Qnum.CAPS_LOCK)));
            assertTrue(Qemu.waitFor(Duration.ofSeconds(20), () -> {
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
            try (Qemu first = Qemu.start(bus.address(), bus.dir(), "first")) {
                assertEquals(DisplayClient.State.ATTACHED, client.await(Duration.ofSeconds(30)), first.output());
                firstOwner = client.vm().orElseThrow().owner();
                d = client.display(0).orElseThrow();
                assertTrue(Qemu.waitFor(Duration.ofSeconds(30), () -> d.updates() > 0), first.output());
            }
            assertTrue(Qemu.waitFor(Duration.ofSeconds(20), () -> client.state() == DisplayClient.State.NO_QEMU));
            assertThrows(DisplayUnavailableException.class, () -> client.modifiers(0));
            try (Qemu second = Qemu.start(bus.address(), bus.dir(), "second")) {
                assertTrue(Qemu.waitFor(Duration.ofSeconds(30), () -> client.state() == DisplayClient.State.ATTACHED
                        && client.vm().map(v -> v.name().equals("second")).orElse(false)), second.output());
                assertFalse(firstOwner.equals(client.vm().orElseThrow().owner()));
                long seen = d.updates();
                assertTrue(Qemu.waitFor(Duration.ofSeconds(30), () -> d.updates() > seen),
                        "no frames after the restart: " + second.output());
                assertNotNull(d.frame());
            }
        }
    }

    @Test
    void ownerBelowVmmIsRefusedAndNothingIsSent() throws Exception {
        AtomicReference<String> asked = new AtomicReference<>();
        try (Qemu qemu = Qemu.start(bus.address(), bus.dir(), "untrusted");
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
        }
    }
}
