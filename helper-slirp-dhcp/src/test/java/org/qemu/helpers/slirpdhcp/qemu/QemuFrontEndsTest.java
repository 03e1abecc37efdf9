package org.qemu.helpers.slirpdhcp.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Commands;
import java.util.regex.Pattern;
import java.util.regex.Matcher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qemu.helpers.common.testing.Qemu;
import org.qemu.helpers.common.testing.Tools;
import org.qemu.helpers.slirpdhcp.Settings;
import org.qemu.helpers.slirpdhcp.SlirpCore;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.StateChange;
import org.qemu.helpers.slirpdhcp.transport.Posix;
import org.qemu.helpers.common.testing.LogLines;

/**
 * Real QEMU 7.2 (TCG) on each front end QEMU and libvirt use besides -netdev stream (QemuLinuxGuestTest): the
 * busybox Linux guest over {@code -netdev dgram} and over {@code -netdev socket,fd=} with a SOCK_DGRAM socketpair
 * whose other end the helper has as {@code --fd} (libvirt's slirp-helper setup), and the NIC's iPXE ROM as DHCP
 * client over a SOCK_STREAM socketpair. The helper's core runs in this JVM, so that the socketpair end it gets is
 * a descriptor of this process, exactly as an inherited one would be. The NAT behind each of them: the guest
 * wgets 16 MiB through 10.0.2.2 over dgram and socket,fd=, and a namespace on the tap front end curls it.
 * Run under {@code flock /tmp/bench.lock}.
 */
class QemuFrontEndsTest {
    @TempDir
    Path dir;
    SlirpCore core;
    final List<String> logs = Collections.synchronizedList(new ArrayList<>());
    final LinkedBlockingQueue<String> leases = new LinkedBlockingQueue<>();

    @AfterEach
    void stop() {
        if (core != null) {
            core.close();
        }
    }

    void helper(Settings.Guest guest) throws Exception {
        core = SlirpCore.start(new Settings(NetworkConfig.slirpDefaults("vm.internal"), dir.resolve("state"), guest,
                null, 0, 0, List.of(), Duration.ofMillis(500)), LogLines.into(logs));
        core.dhcp().addListener(c -> {
            if (c instanceof StateChange.LeaseBound b) {
                leases.add(b.lease().mac() + " " + Ip4.format(b.lease().ip()));
            }
        });
    }

    /** The Linux guest's arguments with {@code netdev} as its NIC's backend, serial console to {@code serial}. */
    static List<String> linuxGuest(String netdev, Path serial) throws Exception {
        return new ArrayList<>(List.of("-machine", "pc", "-accel", "tcg", "-m", "256", "-display", "none",
                "-no-reboot", "-kernel", QemuLinuxGuestTest.kernel().toString(), "-initrd",
                QemuLinuxGuestTest.initramfs().toString(), "-append", "console=ttyS0 quiet panic=-1", "-serial",
                "file:" + serial, "-netdev", netdev, "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:77"));
    }

    static String awaitGuest(Path serial, BooleanSupplier alive) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
        while (System.nanoTime() < deadline && alive.getAsBoolean()
                && !(Files.exists(serial) && Files.readString(serial).contains("GUEST-DONE"))) {
            Thread.sleep(250);
        }
        return Files.exists(serial) ? Files.readString(serial) : "";
    }

    /** What every front end must give a real guest: a lease, and DNS answers through the helper. */
    void assertLeaseAndDns(String out) {
        assertTrue(out.contains("GUEST-DONE"), "guest did not finish; serial:\n" + out + "\nhelper: " + logs + " "
                + core.stats().snapshot());
        assertTrue(out.contains("GUEST-LEASE ip=10.0.2.15 mask=24 router=10.0.2.2 dns=10.0.2.3 domain=vm.internal"),
                out);
        String[] parts = out.split("GUEST-NSLOOKUP ");
        assertTrue(parts.length == 4, out);
        assertTrue(parts[1].startsWith("linuxguest.vm.internal") && parts[1].contains("10.0.2.15"), parts[1]);
        assertTrue(parts[3].startsWith("nobody.vm.internal") && !parts[3].contains("Address: 10."), parts[3]);
        assertTrue(out.contains("GUEST-PING-GW ok"), out);
        // with the NAT engine: the guest's wget through 10.0.2.2 is checked here, one more line
        assertEquals("52:54:00:12:34:77 10.0.2.15", leases.peek());
    }

    @Test
    void linuxGuestOverNetdevDgram() throws Exception {
        Path sock = dir.resolve("helper.dgram");
        helper(new Settings.Guest.NetdevDgram(sock));
        Path serial = dir.resolve("serial.txt");
        long t0 = System.nanoTime();
        String out;
        try (Qemu q = Qemu.start(dir, "dgram", linuxGuest("dgram,id=n0,local.type=unix,local.path="
                + dir.resolve("qemu.dgram") + ",remote.type=unix,remote.path=" + sock, serial))) {
            out = awaitGuest(serial, q::isAlive);
        }
        System.out.println("linux guest over -netdev dgram: " + (System.nanoTime() - t0) / 1_000_000 + " ms "
                + core.stats().snapshot());
        assertLeaseAndDns(out);
    }

    @Test
    void linuxGuestOverSocketFdWithADgramSocketpair() throws Exception {
        Tools.require("qemu-system-x86_64", "qemu-system-x86");
        int[] sv = new int[2];
        assertEquals(0, Posix.socketpair(Posix.AF_UNIX, Posix.SOCK_DGRAM | Posix.SOCK_CLOEXEC, 0, sv));
        helper(new Settings.Guest.InheritedFd(sv[1]));
        Path serial = dir.resolve("serial.txt");
        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-nodefaults", "-no-user-config"));
        cmd.addAll(linuxGuest("socket,id=n0,fd=" + SpawnWithFd.CHILD_FD, serial));
        long t0 = System.nanoTime();
        String out;
        try (SpawnWithFd q = SpawnWithFd.start(cmd, sv[0], dir.resolve("qemu.log"))) {
            Posix.close(sv[0]); // QEMU has its copy, as libvirt closes its own after the fork
            out = awaitGuest(serial, q::isAlive);
        }
        System.out.println("linux guest over -netdev socket,fd= (dgram socketpair): " + (System.nanoTime() - t0)
                / 1_000_000 + " ms " + core.stats().snapshot());
        assertLeaseAndDns(out + (out.contains("GUEST-DONE") ? "" : Files.readString(dir.resolve("qemu.log"))));
    }

    @Test
    void ipxeLeasesOverSocketFdWithAStreamSocketpairAndQemuExitEndsTheStream() throws Exception {
        Tools.require("qemu-system-x86_64", "qemu-system-x86");
        int[] sv = new int[2];
        assertEquals(0, Posix.socketpair(Posix.AF_UNIX, Posix.SOCK_STREAM | Posix.SOCK_CLOEXEC, 0, sv));
        helper(new Settings.Guest.InheritedFd(sv[1]));
        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-nodefaults", "-no-user-config",
                "-machine", "pc", "-accel", "tcg", "-m", "128", "-display", "none",
                "-netdev", "socket,id=n0,fd=" + SpawnWithFd.CHILD_FD,
                "-device", "virtio-net-pci,netdev=n0,mac=" + QemuIpxeTest.MAC, "-boot", "n"));
        long t0 = System.nanoTime();
        try (SpawnWithFd q = SpawnWithFd.start(cmd, sv[0], dir.resolve("qemu.log"))) {
            Posix.close(sv[0]);
            String lease = leases.poll(90, TimeUnit.SECONDS);
            assertNotNull(lease, "no lease within 90 s: " + logs + " " + core.stats().snapshot() + " qemu: "
                    + Files.readString(dir.resolve("qemu.log")));
            System.out.println("iPXE lease over a stream socketpair after " + (System.nanoTime() - t0) / 1_000_000
                    + " ms " + core.stats().snapshot());
            assertEquals(QemuIpxeTest.MAC + " 10.0.2.15", lease);
        }
        // QEMU is gone: its end closed, the stream's EOF ends the front end (documented), the helper stays up
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline && logs.stream().noneMatch(l -> l.contains("reason=peer_closed"))) {
            Thread.sleep(50);
        }
        assertTrue(logs.stream().anyMatch(l -> l.contains("frontend_ended") && l.contains("reason=peer_closed")),
                logs.toString());
    }

    // ---- the NAT behind each front end: a real download through 10.0.2.2, sha256 compared ----

    static String wgetScript(HostServers host) {
        return "echo \"GUEST-BIG $(wget -q -O - http://10.0.2.2:" + host.httpPort() + "/big | sha256sum)\"\n";
    }

    static String sha(String out) {
        Matcher m = Pattern.compile("GUEST-BIG ([0-9a-f]{64})").matcher(out);
        return m.find() ? m.group(1) : "<none in:\n" + out + ">";
    }

    @Test
    void wgetOverNetdevDgram() throws Exception {
        try (HostServers host = new HostServers(16 << 20)) {
            Path sock = dir.resolve("helper.dgram");
            helper(new Settings.Guest.NetdevDgram(sock)); // NAT on: SlirpCore's defaults
            List<String> nic = List.of("-netdev", "dgram,id=n0,local.type=unix,local.path=" + dir.resolve("q.dgram")
                    + ",remote.type=unix,remote.path=" + sock, "-device", "virtio-net-pci,netdev=n0");
            // not "dgram": that test's QMP socket file is still there, and Qmp.connect would find it before QEMU
            // replaces it (connection refused)
            try (LinuxGuest g = LinuxGuest.boot(dir, "dgram-nat", wgetScript(host), nic)) {
                String out = g.awaitLine("GUEST-DONE", QemuNatTest.BOOT);
                assertEquals(host.bigSha256, sha(out), logs + " " + core.stats().snapshot());
            }
        }
    }

    @Test
    void wgetOverSocketFdWithADgramSocketpair() throws Exception {
        Tools.require("qemu-system-x86_64", "qemu-system-x86");
        try (HostServers host = new HostServers(16 << 20)) {
            int[] sv = new int[2];
            assertEquals(0, Posix.socketpair(Posix.AF_UNIX, Posix.SOCK_DGRAM | Posix.SOCK_CLOEXEC, 0, sv));
            helper(new Settings.Guest.InheritedFd(sv[1]));
            List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-nodefaults", "-no-user-config"));
            cmd.addAll(LinuxGuest.args(dir, "fd", LinuxGuest.initrd(dir, "fd", wgetScript(host))));
            cmd.addAll(List.of("-netdev", "socket,id=n0,fd=" + SpawnWithFd.CHILD_FD, "-device",
                    "virtio-net-pci,netdev=n0"));
            Path serial = dir.resolve("fd-serial.txt");
            String out = "";
            try (SpawnWithFd q = SpawnWithFd.start(cmd, sv[0], dir.resolve("fd-qemu.log"))) {
                Posix.close(sv[0]);
                long deadline = System.nanoTime() + QemuNatTest.BOOT.toNanos();
                while (System.nanoTime() < deadline && q.isAlive() && !out.contains("GUEST-DONE")) {
                    Thread.sleep(200);
                    out = Files.exists(serial) ? Files.readString(serial) : "";
                }
            }
            assertEquals(host.bigSha256, sha(out), logs + " " + core.stats().snapshot());
        }
    }

    @Test
    void curlFromANamespaceOnTheTapFrontEnd() throws Exception {
        Tools.require("ip", "iproute2");
        Tools.require("curl", "curl");
        String ns = "qnat" + ProcessHandle.current().pid();
        assertTrue(Commands.run("ip", "netns", "add", ns).ok());
        try (HostServers host = new HostServers(16 << 20)) {
            helper(new Settings.Guest.Tap("/run/netns/" + ns, "tap0", 1500));
            for (String[] c : new String[][] {{"link", "set", "lo", "up"}, {"addr", "add", "10.0.2.15/24", "dev",
                    "tap0"}, {"route", "add", "default", "via", "10.0.2.2"}}) {
                List<String> cmd = new ArrayList<>(List.of("ip", "-n", ns));
                cmd.addAll(List.of(c));
                ProcResult r = Commands.run(Duration.ofSeconds(10), cmd);
                assertTrue(r.ok(), r.toString());
            }
            ProcResult r = Commands.run(Duration.ofSeconds(60), List.of("ip", "netns", "exec", ns, "sh", "-c",
                    "curl -sS --max-time 30 http://10.0.2.2:" + host.httpPort() + "/big | sha256sum"));
            assertTrue(r.ok(), r.toString());
            assertEquals(host.bigSha256, r.stdout().split(" ")[0], r + " " + core.stats().snapshot());
        } finally {
            Commands.run("ip", "netns", "del", ns);
        }
    }
}
