package org.qemu.helpers.slirpdhcp.qemu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Qemu;
import org.qemu.helpers.common.testing.Tools;
import org.qemu.helpers.slirpdhcp.Main;
import org.qemu.helpers.slirpdhcp.transport.Dnsmasq;

/**
 * A Linux guest (Debian's kernel, a busybox-static initramfs built by deploy/guest/build-initramfs.sh and cached) on
 * {@code -netdev stream} to the helper: udhcpc gets a lease, then the guest resolves its own name, a name
 * forwarded to a real dnsmasq upstream, and an unknown local name through 10.0.2.3, and pings the gateway.
 * Results are read from the guest's serial console.
 */
class QemuLinuxGuestTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();
    Dnsmasq upstream;

    @AfterEach
    void cleanUp() {
        BUS.killHelpers();
        if (upstream != null) {
            upstream.close();
        }
    }

    static Path initramfs() throws Exception {
        Tools.require("busybox", "busybox-static");
        Tools.require("cpio", "cpio");
        // One guest for the tests and the demo: deploy/guest/ (run from the module or from the checkout).
        Path script = Path.of("../deploy/guest/build-initramfs.sh").toAbsolutePath().normalize();
        if (!Files.exists(script)) {
            script = Path.of("deploy/guest/build-initramfs.sh").toAbsolutePath();
        }
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "qemu-dbus-helpers", "slirp-guest");
        ProcResult r = Commands.run(Duration.ofSeconds(120), List.of("sh", script.toString(), cache.toString()));
        assertTrue(r.ok(), r.toString());
        return Path.of(r.stdout().strip());
    }

    static Path kernel() throws Exception {
        try (var s = Files.list(Path.of("/boot"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).sorted().reduce((a, b) -> b)
                    .orElseThrow(() -> new AssertionError("no /boot/vmlinuz-*: apt-get install linux-image-amd64"));
        }
    }

    @Test
    void linuxGuestGetsALeaseAndResolvesThroughTheHelper() throws Exception {
        Path cpio = initramfs();
        upstream = Dnsmasq.start("127.0.0.2", BUS.dir(), "/upstream.test/192.0.2.55");
        Path sock = BUS.dir().resolve("guest.sock");
        HelperProcess h = BUS.startHelper(Main.class, "--state-dir=" + BUS.dir().resolve("state"),
                "--netdev-socket=" + sock, "--upstream", upstream.upstream()).awaitReady(Duration.ofSeconds(30));
        Path serial = BUS.dir().resolve("serial.txt");
        long t0 = System.nanoTime();
        try (Qemu q = Qemu.start(BUS.dir(), "linux", List.of("-machine", "pc", "-accel", "tcg", "-m", "256",
                "-display", "none", "-no-reboot", "-kernel", kernel().toString(), "-initrd", cpio.toString(),
                "-append", "console=ttyS0 quiet panic=-1", "-serial", "file:" + serial,
                "-netdev", "stream,id=n0,server=off,addr.type=unix,addr.path=" + sock,
                "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:77"))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
            while (System.nanoTime() < deadline && q.isAlive()
                    && !(Files.exists(serial) && Files.readString(serial).contains("GUEST-DONE"))) {
                Thread.sleep(250);
            }
        }
        String out = Files.exists(serial) ? Files.readString(serial) : "";
        System.out.println("linux guest done after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        assertTrue(out.contains("GUEST-DONE"), "guest did not finish; serial:\n" + out + "\nhelper:\n" + h.output());
        assertTrue(out.contains("GUEST-LEASE ip=10.0.2.15 mask=24 router=10.0.2.2 dns=10.0.2.3 domain=vm.internal"
                + " search=vm.internal lease=86400"), out);
        String[] parts = out.split("GUEST-NSLOOKUP ");
        assertTrue(parts.length == 4, out);
        assertTrue(parts[1].startsWith("linuxguest.vm.internal") && parts[1].contains("10.0.2.15"), parts[1]);
        assertTrue(parts[2].startsWith("www.upstream.test") && parts[2].contains("192.0.2.55"), parts[2]);
        assertTrue(parts[3].startsWith("nobody.vm.internal") && !parts[3].contains("Address: 10."), parts[3]);
        assertTrue(out.contains("GUEST-PING-GW ok"), out);
        assertTrue(h.output().contains("lease-added mac=52:54:00:12:34:77 ip=10.0.2.15 hostname=linuxguest"),
                h.output());
    }
}
