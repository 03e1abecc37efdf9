package org.qemu.helpers.uiclient.testutil;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real QEMU 7.2 (Debian qemu-system-x86) with {@code -display dbus,gl=off} on a private bus,
 * no disk: SeaBIOS draws its screen and waits. Killed on close, and by the JVM's exit hook.
 */
public final class Qemu implements AutoCloseable {
    /** Keep SeaBIOS in its "Press ESC for boot menu" wait (polling the keyboard) for 60 s. */
    public static final String[] BOOT_MENU = {"-boot", "menu=on,splash-time=60000"};

    private final Process process;
    private final Path log;

    private Qemu(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Start QEMU on {@code busAddress} (unix:path=..., no guid) with extra arguments. SeaBIOS
     * updates the keyboard LEDs only from its INT 16h service, which it polls while the boot menu
     * prompt waits: pass {@link #BOOT_MENU} when a test needs lock keys reflected.
     */
    public static Qemu start(String busAddress, Path dir, String name, String... extra) throws IOException {
        requireTool("qemu-system-x86_64", "qemu-system-x86");
        Path log = dir.resolve("qemu-" + name + ".log");
        String addr = busAddress.replaceAll(",guid=[0-9a-f]+", "").replace(",", ",,");
        List<String> cmd = new ArrayList<>(List.of("timeout", "-s", "KILL", "300", "qemu-system-x86_64",
                "-nodefaults", "-machine", "pc,accel=tcg", "-m", "32", "-name", name,
                "-display", "dbus,addr=" + addr + ",gl=off", "-vga", "std"));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Qemu q = new Qemu(p, log);
        Runtime.getRuntime().addShutdownHook(new Thread(q::close));
        return q;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Fail naming the Debian package when a tool is missing (the guide: tests do not skip). */
    public static void requireTool(String tool, String debianPackage) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return;
            }
        }
        throw new AssertionError(tool + " not found: install the Debian package " + debianPackage);
    }

    /** Poll {@code check} until true or the timeout passes. */
    public static boolean waitFor(Duration timeout, java.util.function.BooleanSupplier check)
            throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (check.getAsBoolean()) {
                return true;
            }
            Thread.sleep(100);
        }
        return check.getAsBoolean();
    }
}
