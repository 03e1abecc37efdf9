package org.qemu.helpers.slirpdhcp.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Qemu;
import org.qemu.helpers.common.testing.Tools;
import org.qemu.helpers.slirpdhcp.NatSettings;
import org.qemu.helpers.slirpdhcp.Settings;
import org.qemu.helpers.slirpdhcp.SlirpCore;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.transport.Posix;

/**
 * The NAT behind every other front end (QemuNatTest covers -netdev stream): the Linux guest wgets 16 MiB from an
 * HTTP server on the host's 127.0.0.1 through 10.0.2.2 over {@code -netdev dgram} and over {@code -netdev
 * socket,fd=} (a SOCK_DGRAM socketpair, libvirt's setup), and a plain network namespace on the tap front end
 * fetches it with curl. The sha256 of what arrived must equal the server's.
 */
class QemuNatFrontEndsTest {
    @TempDir
    Path dir;
    SlirpCore core;
    final List<String> logs = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void stop() {
        if (core != null) {
            core.close();
        }
    }

    void helper(Settings.Guest guest) throws Exception {
        core = SlirpCore.start(new Settings(NetworkConfig.slirpDefaults("vm.internal"), dir.resolve("state"), guest,
                null, 0, 0, List.of(), Duration.ofMillis(500)), NatSettings.defaults(), logs::add);
    }

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
            helper(new Settings.Guest.NetdevDgram(sock));
            List<String> nic = List.of("-netdev", "dgram,id=n0,local.type=unix,local.path=" + dir.resolve("q.dgram")
                    + ",remote.type=unix,remote.path=" + sock, "-device", "virtio-net-pci,netdev=n0");
            try (LinuxGuest g = LinuxGuest.boot(dir, "dgram", wgetScript(host), nic)) {
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
