package org.qemu.helpers.slirpdhcp.qemu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Qemu;

/**
 * The busybox Linux guest (QemuLinuxGuestTest's initramfs) with a test script appended as a second cpio archive:
 * the guest gets its lease, runs /test.sh, prints its output on ttyS0 and powers off.
 */
public final class LinuxGuest implements AutoCloseable {
    private final Qemu qemu;
    private final Path serial;

    private LinuxGuest(Qemu qemu, Path serial) {
        this.qemu = qemu;
        this.serial = serial;
    }

    /** Boots the guest with {@code script} as /test.sh and {@code netdev} as the NIC's -netdev value. */
    static LinuxGuest boot(Path dir, String name, String script, List<String> netArgs) throws Exception {
        return start(dir, name, initrd(dir, name, script), netArgs);
    }

    /** The guest's initrd with {@code script} as /test.sh, written to DIR/NAME-initrd.cpio.gz. */
    public static Path initrd(Path dir, String name, String script) throws Exception {
        Path base = QemuLinuxGuestTest.initramfs();
        Path work = Files.createDirectories(dir.resolve(name + "-script"));
        Files.writeString(work.resolve("test.sh"), script);
        ProcResult r = Commands.run(Duration.ofSeconds(30), List.of("sh", "-c",
                "cd '" + work + "' && echo test.sh | cpio -o -H newc --quiet | gzip -1 > ../" + name + "-extra.cpio.gz"));
        assertTrue(r.ok(), r.toString());
        Path initrd = dir.resolve(name + "-initrd.cpio.gz");
        Files.write(initrd, concat(Files.readAllBytes(base), Files.readAllBytes(dir.resolve(name + "-extra.cpio.gz"))));
        return initrd;
    }

    /**
     * The destination of a migration of guest {@code from} (same kernel and initrd): QEMU with
     * {@code -incoming "exec:cat FILE"}, its serial output in a file of its own.
     */
    static LinuxGuest incoming(Path dir, String from, String name, List<String> netArgs, Path file) throws Exception {
        List<String> args = new ArrayList<>(netArgs);
        args.addAll(List.of("-incoming", "exec:cat " + file));
        return start(dir, name, dir.resolve(from + "-initrd.cpio.gz"), args);
    }

    /** The guest's QEMU arguments (kernel, initrd, serial console to DIR/NAME-serial.txt) without a NIC. */
    static List<String> args(Path dir, String name, Path initrd) throws Exception {
        return new ArrayList<>(List.of("-machine", "pc", "-accel", "tcg", "-m", "512", "-display", "none",
                "-no-reboot", "-kernel", QemuLinuxGuestTest.kernel().toString(), "-initrd", initrd.toString(),
                "-append", "console=ttyS0 quiet panic=-1", "-serial", "file:" + dir.resolve(name + "-serial.txt")));
    }

    private static LinuxGuest start(Path dir, String name, Path initrd, List<String> netArgs) throws Exception {
        List<String> args = args(dir, name, initrd);
        args.addAll(netArgs);
        return new LinuxGuest(Qemu.start(dir, name, args), dir.resolve(name + "-serial.txt"));
    }

    /** The -netdev stream NIC arguments for a helper listening on {@code sock}. */
    static List<String> streamNic(Path sock, String mac) {
        return List.of("-netdev", "stream,id=n0,server=off,addr.type=unix,addr.path=" + sock,
                "-device", "virtio-net-pci,netdev=n0,mac=" + mac);
    }

    /** Debian's kernel (linux-image-amd64), for direct kernel boot. */
    public static Path kernel() throws Exception {
        return QemuLinuxGuestTest.kernel();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    String serial() throws IOException {
        return Files.exists(serial) ? Files.readString(serial) : "";
    }

    /** Waits until the serial output satisfies {@code done} or QEMU exits; returns the output. */
    String await(Predicate<String> done, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String out = serial();
        while (System.nanoTime() < deadline && qemu.isAlive() && !done.test(out)) {
            Thread.sleep(200);
            out = serial();
        }
        return serial();
    }

    String awaitLine(String marker, Duration timeout) throws Exception {
        return await(s -> s.contains(marker), timeout);
    }

    Qemu qemu() {
        return qemu;
    }

    @Override
    public void close() throws IOException {
        qemu.close();
    }
}
