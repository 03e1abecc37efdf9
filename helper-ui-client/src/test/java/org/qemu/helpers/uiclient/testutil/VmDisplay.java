package org.qemu.helpers.uiclient.testutil;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.Qemu;
import org.qemu.helpers.common.testing.Tools;

/**
 * QEMU 7.2 with {@code -display dbus,gl=off -vga std} and no disk, on a test's private bus:
 * SeaBIOS draws its text screen and waits at its boot menu prompt, polling the keyboard (its
 * INT 16h service is what updates the keyboard LEDs). The PS/2 keyboard's and the input core's
 * mouse trace events go to QEMU's log, so tests can see which input reached the guest's devices.
 */
public final class VmDisplay {
    private VmDisplay() {
    }

    /** The QEMU arguments for a VM named {@code name} on {@code bus}. */
    public static List<String> args(PrivateBus bus, String name) {
        return new ArrayList<>(List.of("-machine", "pc,accel=tcg", "-m", "32", "-name", name,
                "-display", "dbus,addr=" + bus.qemuAddress().replace(",", ",,") + ",gl=off", "-vga", "std",
                "-boot", "menu=on,splash-time=60000", "-trace", "ps2_keyboard_event", "-trace", "input_event_btn",
                "-trace", "input_event_rel"));
    }

    public static Qemu start(PrivateBus bus, String name) throws IOException, InterruptedException {
        return Qemu.start(bus.dir(), name, args(bus, name));
    }

    /**
     * QEMU as another user (setpriv), without QMP (it could not create the socket in the bus
     * directory); killed on close.
     */
    public static Process startAs(PrivateBus bus, long uid, String name) throws IOException {
        Tools.require("setpriv", "util-linux");
        Tools.require("qemu-system-x86_64", "qemu-system-x86");
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups",
                "qemu-system-x86_64", "-nodefaults", "-no-user-config"));
        cmd.addAll(args(bus, name));
        Path log = bus.dir().resolve(name + ".log");
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    public static void kill(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** QEMU's own screendump of console 0: {width, height, 0x00RRGGBB pixels...}. */
    public static int[] screendump(Qemu qemu, Path ppm) throws IOException {
        qemu.qmp().execute("screendump", Map.of("filename", ppm.toString()));
        byte[] p = Files.readAllBytes(ppm);
        int off = 0;
        int lines = 0;
        StringBuilder header = new StringBuilder();
        while (lines < 3) {
            char c = (char) p[off++];
            header.append(c);
            if (c == '\n') {
                lines++;
            }
        }
        String[] f = header.toString().trim().split("\\s+"); // P6 W H 255 (netpbm)
        int w = Integer.parseInt(f[1]);
        int h = Integer.parseInt(f[2]);
        int[] out = new int[2 + w * h];
        out[0] = w;
        out[1] = h;
        for (int i = 0; i < w * h; i++, off += 3) {
            out[2 + i] = (p[off] & 0xff) << 16 | (p[off + 1] & 0xff) << 8 | (p[off + 2] & 0xff);
        }
        return out;
    }

    /** Pixels where {@code rgb} ({@code w}x{@code h}) differs from a screendump (MAX_VALUE if sizes differ). */
    public static int differingPixels(int w, int h, int[] rgb, int[] dump) {
        if (dump[0] != w || dump[1] != h) {
            return Integer.MAX_VALUE;
        }
        int diff = 0;
        for (int i = 0; i < w * h; i++) {
            if (rgb[i] != dump[2 + i]) {
                diff++;
            }
        }
        return diff;
    }

    /** The keys the guest's PS/2 keyboard received, as "qcode N down D" lines of QEMU's trace. */
    public static List<String> keyboardTrace(String qemuLog) {
        List<String> out = new ArrayList<>();
        for (String line : qemuLog.split("\n")) {
            int i = line.indexOf("ps2_keyboard_event");
            if (i >= 0) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("qcode (\\d+) down (\\d)").matcher(line);
                if (m.find()) {
                    out.add("qcode " + m.group(1) + " down " + m.group(2));
                }
            }
        }
        return out;
    }

    /** Poll {@code check} until true or the timeout passes. */
    public static boolean waitFor(Duration timeout, BooleanSupplier check) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (check.getAsBoolean()) {
                return true;
            }
            Thread.sleep(100);
        }
        return check.getAsBoolean();
    }

    /** Remove a temporary directory tree. */
    public static void deleteTree(Path root) {
        try (var walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // already gone
        }
    }
}
