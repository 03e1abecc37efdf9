package org.qemu.helpers.tpmstub.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Qemu;
import org.qemu.helpers.common.testing.Tools;
import org.qemu.helpers.tpmstub.Hex;
import org.qemu.helpers.tpmstub.InProcessTpm;
import org.qemu.helpers.tpmstub.engine.HashAlg;
import org.qemu.helpers.tpmstub.transport.Endpoint;

/**
 * A Debian Linux 6.1 guest (tpm_tis built in, IMA on) with this helper as its TPM: the kernel
 * probes it (GetCapability for properties, commands and PCR banks, SelfTest), IMA extends its
 * boot aggregate, and the PCR values the guest reads from sysfs equal the helper's.
 */
class QemuLinuxTpmTest {
    private static Path kernel() {
        try (Stream<Path> s = Files.list(Path.of("/boot"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).sorted().reduce((a, b) -> b)
                    .orElseThrow(() -> new AssertionError("no /boot/vmlinuz-*: apt-get install -y linux-image-amd64"));
        } catch (java.io.IOException e) {
            throw new AssertionError("cannot list /boot", e);
        }
    }

    private static Path initramfs(Path dir) throws Exception {
        Tools.require("cpio", "cpio");
        Path busybox = Tools.require("busybox", "busybox-static");
        Path root = Files.createDirectories(dir.resolve("initramfs"));
        Files.createDirectories(root.resolve("bin"));
        Files.copy(busybox, root.resolve("bin/busybox"));
        String init = """
                #!/bin/busybox sh
                B=/bin/busybox
                $B mkdir -p /proc /sys /dev
                $B mount -t proc proc /proc
                $B mount -t sysfs sysfs /sys
                $B mount -t devtmpfs devtmpfs /dev
                echo "TPMVERSION $($B cat /sys/class/tpm/tpm0/tpm_version_major)"
                for b in sha1 sha256; do for i in 0 1 2 3 4 5 6 7 10; do
                  echo "PCR $b $i $($B cat /sys/class/tpm/tpm0/pcr-$b/$i)"
                done; done
                echo "RNG $($B head -c 16 /dev/hwrng | $B od -An -tx1 | $B tr -d ' \\n')"
                echo "GUEST-DONE"
                $B poweroff -f
                """;
        Path initFile = root.resolve("init");
        Files.writeString(initFile, init);
        Files.setPosixFilePermissions(initFile, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path cpio = dir.resolve("initramfs.cpio");
        ProcResult r = Commands.run(Duration.ofSeconds(30), List.of("sh", "-c",
                "cd '" + root + "' && find . | cpio -o -H newc --quiet > '" + cpio + "'"));
        assertEquals(0, r.exitCode(), r.toString());
        return cpio;
    }

    @Test
    void linuxProbesTheTpmExtendsImaAndReadsTheSamePcrs() throws Exception {
        Path dir = Files.createTempDirectory("qemu-linux-tpm");
        try {
            Path ctrl = dir.resolve("tpm.ctrl");
            Path serial = dir.resolve("serial.log");
            Path cpio = initramfs(dir);
            try (InProcessTpm tpm = InProcessTpm.start(dir.resolve("state"), null, new Endpoint.Unix(ctrl));
                 Qemu q = Qemu.start(dir, "linux", List.of("-machine", "pc", "-accel", "tcg", "-m", "256",
                         "-display", "none", "-no-reboot", "-kernel", kernel().toString(), "-initrd", cpio.toString(),
                         "-append", "console=ttyS0 quiet panic=-1", "-serial", "file:" + serial,
                         "-chardev", "socket,id=c,path=" + ctrl, "-tpmdev", "emulator,id=t,chardev=c",
                         "-device", "tpm-tis,tpmdev=t"))) {
                String out = "";
                long end = System.nanoTime() + Duration.ofSeconds(150).toNanos();
                while (System.nanoTime() < end && !out.contains("GUEST-DONE")) {
                    Thread.sleep(200);
                    out = Files.exists(serial) ? Files.readString(serial, StandardCharsets.ISO_8859_1) : "";
                    if (!q.isAlive() && !out.contains("GUEST-DONE")) {
                        break;
                    }
                }
                assertTrue(out.contains("GUEST-DONE"), "guest output:\n" + out + "\nQEMU:\n" + q.output());
                assertTrue(out.contains("TPMVERSION 2"), out);
                Matcher m = Pattern.compile("PCR (sha1|sha256) (\\d+) ([0-9A-Fa-f]+)").matcher(out);
                int n = 0;
                while (m.find()) {
                    HashAlg bank = HashAlg.byBankName(m.group(1)).orElseThrow();
                    String ours = HexFormat.of().formatHex(tpm.device.pcr(bank, Integer.parseInt(m.group(2))));
                    assertEquals(ours, m.group(3).toLowerCase(), "PCR " + m.group(1) + ":" + m.group(2));
                    n++;
                }
                assertEquals(18, n, out);
                // IMA's boot aggregate went into PCR 10 through TPM2_PCR_Extend
                assertTrue(!HexFormat.of().formatHex(tpm.device.pcr(HashAlg.SHA256, 10)).equals("00".repeat(32)),
                        "PCR 10 extended by IMA");
                Matcher rng = Pattern.compile("RNG ([0-9a-f]{32})").matcher(out);
                assertTrue(rng.find(), "32 hex digits from /dev/hwrng (TPM2_GetRandom): " + out);
            }
        } finally {
            Hex.deleteTree(dir);
        }
    }
}
