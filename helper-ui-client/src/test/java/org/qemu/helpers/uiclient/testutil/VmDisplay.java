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

    /**
     * A Linux guest (Debian's kernel, the bench's busybox initramfs in mode {@code still}: it
     * prints a line on tty0, hides the cursor and sleeps) on the VGA console, kernel messages
     * also on the serial port ({@code NAME.serial} in the bus directory). {@code append} adds
     * kernel parameters (e.g. {@code vga=0x314}: the boot code switches to a VBE graphics mode).
     */
    public static Qemu startLinux(PrivateBus bus, String name, String append) throws IOException, InterruptedException {
        Tools.require("busybox", "busybox-static");
        Tools.require("cpio", "cpio");
        Path kernel;
        try (var boot = Files.list(Path.of("/boot"))) {
            kernel = boot.filter(f -> f.getFileName().toString().startsWith("vmlinuz-")).sorted()
                    .reduce((a, b) -> b).orElseThrow(() -> new AssertionError(
                            "no /boot/vmlinuz-*: apt-get install linux-image-amd64"));
        }
        Path initrd = bus.dir().resolve(name + "-still.img");
        // The guest builder lives with the benchmark (helper-ui-client/bench/make-initrd.sh): reused, not copied.
        Process mk = new ProcessBuilder("sh", Path.of("bench", "make-initrd.sh").toString(), "still", initrd.toString())
                .redirectErrorStream(true).start();
        String mkOut = new String(mk.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (mk.waitFor() != 0) {
            throw new AssertionError("bench/make-initrd.sh failed: " + mkOut);
        }
        List<String> args = new ArrayList<>(List.of("-machine", "pc,accel=tcg", "-m", "128", "-name", name,
                "-display", "dbus,addr=" + bus.qemuAddress().replace(",", ",,") + ",gl=off", "-vga", "std",
                "-kernel", kernel.toString(), "-initrd", initrd.toString(),
                "-append", "console=ttyS0 console=tty0 " + append,
                "-serial", "file:" + bus.dir().resolve(name + ".serial")));
        return Qemu.start(bus.dir(), name, args);
    }

    /**
     * Wait until the guest's kernel has started /init (seen on the serial port), plus {@code settle}
     * for init to draw. Reads nothing from the display: a screendump would refresh QEMU's console.
     */
    public static void awaitInit(PrivateBus bus, String name, Duration settle) throws Exception {
        Path serial = bus.dir().resolve(name + ".serial");
        boolean up = waitFor(Duration.ofSeconds(120), () -> {
            try {
                return Files.exists(serial) && Files.readString(serial).contains("Run /init as init process");
            } catch (IOException e) {
                return false;
            }
        });
        if (!up) {
            throw new AssertionError("the guest kernel did not start /init within 120 s; serial:\n"
                    + (Files.exists(serial) ? Files.readString(serial) : "(none)"));
        }
        Thread.sleep(settle.toMillis());
    }

    /**
     * Compare a frame with QEMU's screendump: "" if they have the same size and all differing
     * pixels lie within one character cell (9x16: QEMU's VGA text cell; fbcon's 8x16 fits in it),
     * else what differs.
     */
    public static String sameUpToOneCell(int w, int h, int[] rgb, int[] dump) {
        if (dump[0] != w || dump[1] != h) {
            return "size " + w + "x" + h + " but screendump " + dump[0] + "x" + dump[1];
        }
        int x0 = Integer.MAX_VALUE;
        int y0 = Integer.MAX_VALUE;
        int x1 = -1;
        int y1 = -1;
        int n = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (rgb[y * w + x] != dump[2 + y * w + x]) {
                    n++;
                    x0 = Math.min(x0, x);
                    y0 = Math.min(y0, y);
                    x1 = Math.max(x1, x);
                    y1 = Math.max(y1, y);
                }
            }
        }
        if (n == 0 || (x1 - x0 < 9 && y1 - y0 < 16)) {
            return "";
        }
        return n + " pixels differ in " + (x1 - x0 + 1) + "x" + (y1 - y0 + 1) + "+" + x0 + "+" + y0;
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
