package org.qemu.helpers.tpmstub.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.qemu.helpers.common.testing.Qemu;

/** QEMU 7.2 + SeaBIOS, no disk, with a TPM behind a swtpm-style control socket. */
final class QemuBoot {
    private QemuBoot() { }

    static List<String> args(Path dir, String name, Path ctrl, String... extra) {
        List<String> a = new ArrayList<>(List.of("-machine", "pc", "-accel", "tcg", "-m", "64", "-display", "none",
                "-chardev", "file,id=dbg,path=" + dir.resolve(name + ".bios.log"),
                "-device", "isa-debugcon,iobase=0x402,chardev=dbg",
                "-chardev", "socket,id=c,path=" + ctrl, "-tpmdev", "emulator,id=t,chardev=c",
                "-device", "tpm-tis,tpmdev=t"));
        a.addAll(List.of(extra));
        return a;
    }

    static Qemu start(Path dir, String name, Path ctrl, String... extra) throws IOException, InterruptedException {
        return Qemu.start(dir, name, args(dir, name, ctrl, extra));
    }

    /** Waits until SeaBIOS has given up booting ("No bootable device"): the measurements are done. */
    static void awaitBootEnd(Path dir, String name, Qemu q, Duration timeout) throws Exception {
        Path log = dir.resolve(name + ".bios.log");
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (Files.exists(log) && Files.readString(log, StandardCharsets.ISO_8859_1).contains("No bootable device")) {
                return;
            }
            if (!q.isAlive()) {
                throw new AssertionError("QEMU exited: " + q.output());
            }
            Thread.sleep(100);
        }
        throw new AssertionError("SeaBIOS did not reach 'No bootable device' in " + timeout + "; QEMU: " + q.output()
                + "\nBIOS: " + (Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "(none)"));
    }
}
