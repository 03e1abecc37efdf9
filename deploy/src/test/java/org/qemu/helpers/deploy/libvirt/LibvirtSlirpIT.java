package org.qemu.helpers.deploy.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.freedesktop.dbus.types.UInt16;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.discovery.HelperInfo;
import org.qemu.helpers.slirpdhcp.dbus.ForwardEntry;
import org.qemu.helpers.slirpdhcp.dbus.LeaseEntry;
import org.qemu.helpers.slirpdhcp.dbus.SlirpDhcp1;
import org.qemu.helpers.slirpdhcp.qemu.HostServers;
import org.qemu.helpers.slirpdhcp.transport.Dnsmasq;

/**
 * An integration test (failsafe, after deploy.jar is packaged: deploy/bin/qemu-slirp-helper reads the helpers' JVM
 * flags from it). helper-slirp-dhcp as libvirt's slirp_helper (deploy/bin/qemu-slirp-helper) under a real libvirtd 9.0: libvirt
 * starts it with its own command line for every {@code <interface type='user'>}, on the domain's bus, and QEMU's
 * dbus-vmstate migrates its state through virsh save/restore. The guest is the busybox Linux guest (TCG).
 */
class LibvirtSlirpIT {
    static final Path HELPER = Path.of("bin/qemu-slirp-helper").toAbsolutePath();

    @RegisterExtension
    static final Libvirtd LIBVIRT = new Libvirtd(HELPER);

    static Dnsmasq upstream;
    static HostServers host;

    @BeforeAll
    static void outside() throws Exception {
        upstream = Dnsmasq.start("127.0.0.1", LIBVIRT.dir(), "/upstream.test/192.0.2.55");
        LIBVIRT.slirpExtraArgs("--upstream=" + upstream.upstream());
        host = new HostServers(4 << 20);
    }

    @AfterAll
    static void stopOutside() {
        if (host != null) {
            host.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    /** A failed test leaves no domain running into the next one. */
    @AfterEach
    void destroyDomains() throws Exception {
        LIBVIRT.destroyAll();
    }

    static List<String> leaseMacs(SlirpDhcp1 h) {
        return h.ListLeases().stream().map(LeaseEntry::getMac).toList();
    }

    /** Waits until {@code mac} has a lease from the helper of its NIC (the guest asks 10-20 s after start). */
    static void awaitLease(String busAddress, String mac) throws Exception {
        try (SlirpBus bus = new SlirpBus(busAddress)) {
            bus.awaitReady(SlirpBus.busName(mac), Duration.ofSeconds(60));
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (System.nanoTime() < deadline && !leaseMacs(bus.helper(mac)).contains(mac)) {
                Thread.sleep(500);
            }
            assertTrue(leaseMacs(bus.helper(mac)).contains(mac), "no lease for " + mac);
        }
    }

    /** No slirp helper, QEMU or per-VM bus left of the domain once libvirt has stopped it. */
    static void awaitNothingLeft(String name) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        List<String> left;
        do {
            left = LIBVIRT.processesInNamespace().stream().map(Libvirtd::cmdline)
                    .filter(c -> c.contains("-" + name + "-dbus.") || c.contains("guest=" + name + ","))
                    .toList();
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(250);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("left after libvirt stopped " + name + ": " + left);
    }

    @Test
    void guestGetsItsLeaseAndDnsAndDownloadsThroughTheHelperAndDestroyLeavesNothing() throws Exception {
        String mac = "52:54:00:aa:bb:01";
        String script = "for i in $(seq 1 60); do nslookup web.vm.internal 10.0.2.3 > /tmp/ns 2>&1 && grep -q"
                + " 'Address: 10.0.2.2' /tmp/ns && break; sleep 1; done\n"
                + "echo \"GUEST-WEB-NAME $(grep -c 'Address: 10.0.2.2' /tmp/ns)\"\n"
                + "wget -q -O /tmp/big http://web.vm.internal:" + host.httpPort() + "/big && echo \"GUEST-SHA"
                + " $(sha256sum /tmp/big)\"\n"
                + "sleep 600\n";
        Domain d = Domain.of(LIBVIRT.dir(), "lvslirp", script, List.of(mac), false);
        d.define(LIBVIRT);
        LIBVIRT.virshOk("start", d.name());
        String bus = LIBVIRT.busAddress(d.name());
        try (SlirpBus b = new SlirpBus(bus)) {
            // the helper's own name on libvirt's bus, found by its MAC; a host record for the guest's DNS
            b.awaitReady(SlirpBus.busName(mac), Duration.ofSeconds(60));
            b.helper(mac).AddHostRecord("web", "10.0.2.2");
        }
        String out = d.awaitLine("GUEST-SHA", Duration.ofSeconds(180));
        assertTrue(out.contains("GUEST-LEASE ip=10.0.2.15"), out);
        assertTrue(out.contains("Address: 192.0.2.55"), "upstream name through the helper's DNS:\n" + out);
        assertTrue(out.contains("GUEST-WEB-NAME 1"), out);
        assertTrue(out.contains("GUEST-SHA " + host.bigSha256), "the download through the gateway:\n" + out);
        awaitLease(bus, mac);
        // libvirt's exact command line reached the helper
        String argv = LIBVIRT.slirpArgv().get(LIBVIRT.slirpArgv().size() - 1);
        assertTrue(argv.matches("\\d+ --fd=\\d+ --dbus-id=slirp-" + mac + " --dbus-address=unix:path=/run/libvirt/qemu/dbus/"
                + "\\d+-lvslirp-dbus.sock --exit-with-parent"), argv);

        LIBVIRT.virshOk("destroy", d.name());
        awaitNothingLeft(d.name());
        assertFalse(Files.exists(Path.of(bus.substring("unix:path=".length()))), "the bus socket is gone");

        LIBVIRT.virshOk("start", d.name());
        String again = LIBVIRT.busAddress(d.name());
        awaitLease(again, mac);
        try (SlirpBus b = new SlirpBus(again)) {
            assertEquals("10.0.2.15", b.helper(mac).ListLeases().stream().filter(l -> l.getMac().equals(mac))
                    .findFirst().orElseThrow().getIp());
        }
        LIBVIRT.virshOk("destroy", d.name());
        awaitNothingLeft(d.name());
    }

    @Test
    void saveAndRestoreKeepStaticLeaseAndForwardAndTheGuestIsConnectedAgain() throws Exception {
        String mac = "52:54:00:aa:bb:11";
        String script = "(while true; do echo GUEST-FWD-HELLO | nc -l -p 8080; done) &\n"
                + "i=0; while [ $i -lt 600 ]; do i=$((i+1));"
                + " if wget -q -O /dev/null http://10.0.2.2:" + host.httpPort() + "/small; then echo \"GUEST-NET-OK $i\";"
                + " else echo \"GUEST-NET-FAIL $i\"; fi; sleep 1; done\n";
        Domain d = Domain.of(LIBVIRT.dir(), "lvsave", script, List.of(mac), false);
        d.define(LIBVIRT);
        LIBVIRT.virshOk("start", d.name());
        String bus = LIBVIRT.busAddress(d.name());
        d.awaitLine("GUEST-NET-OK", Duration.ofSeconds(180));
        awaitLease(bus, mac);
        int hostPort = HostServers.closedPort();
        try (SlirpBus b = new SlirpBus(bus)) {
            b.helper(mac).AddStaticLease("52:54:00:00:00:99", "10.0.2.99", "reserved");
            b.helper(mac).AddForward("tcp", "127.0.0.1", new UInt16(hostPort), "", new UInt16(8080));
        }
        assertTrue(readForward(hostPort).contains("GUEST-FWD-HELLO"), "the forward works before the save");

        Path saved = LIBVIRT.dir().resolve("lvsave.state");
        LIBVIRT.virshOk("save", d.name(), saved.toString());
        awaitNothingLeft(d.name());
        int before = okCount(d.serialText());
        LIBVIRT.virshOk("restore", saved.toString());
        String argv = LIBVIRT.slirpArgv().get(LIBVIRT.slirpArgv().size() - 1);
        assertTrue(argv.contains("--dbus-incoming"), "libvirt restores with --dbus-incoming: " + argv);
        String restored = LIBVIRT.busAddress(d.name());
        try (SlirpBus b = new SlirpBus(restored)) {
            SlirpDhcp1 h = b.helper(mac);
            Set<String> leases = h.ListLeases().stream().map(l -> l.getMac() + "=" + l.getIp() + "/" + l.getExpiry())
                    .collect(Collectors.toSet());
            assertTrue(leases.contains("52:54:00:00:00:99=10.0.2.99/0"), "static lease back: " + leases);
            assertTrue(leaseMacs(h).contains(mac), "the guest's lease back: " + leases);
            List<ForwardEntry> fw = h.ListForwards();
            assertTrue(fw.stream().anyMatch(f -> f.getHostPort().intValue() == hostPort
                    && f.getGuestPort().intValue() == 8080), "forward back: " + fw);
        }
        assertTrue(LIBVIRT.slirpLog().contains("dhcp_released after=vmstate-load"), LIBVIRT.slirpLog());
        d.await(s -> okCount(s) > before + 1, Duration.ofSeconds(120), "the guest's downloads after the restore");
        assertTrue(readForward(hostPort).contains("GUEST-FWD-HELLO"), "the forward works after the restore");
        LIBVIRT.virshOk("destroy", d.name());
        awaitNothingLeft(d.name());
    }

    @Test
    void twoNicsGetTwoHelpersBothServingAndBothInDiscovery() throws Exception {
        String mac1 = "52:54:00:aa:bb:21";
        String mac2 = "52:54:00:aa:bb:22";
        String script = "ip link set eth1 up\n"
                + "udhcpc -i eth1 -s /udhcpc.sh -x hostname:second -q -t 20 -T 1 -n | sed 's/^/ETH1 /'\n"
                + "echo GUEST-ETH1-DONE\nsleep 600\n";
        Domain d = Domain.of(LIBVIRT.dir(), "lvtwo", script, List.of(mac1, mac2), false);
        d.define(LIBVIRT);
        LIBVIRT.virshOk("start", d.name());
        String bus = LIBVIRT.busAddress(d.name());
        d.awaitLine("GUEST-ETH1-DONE", Duration.ofSeconds(180));
        awaitLease(bus, mac1);
        awaitLease(bus, mac2);
        try (SlirpBus b = new SlirpBus(bus)) {
            assertFalse(leaseMacs(b.helper(mac1)).contains(mac2), "each helper serves its own NIC");
            assertFalse(leaseMacs(b.helper(mac2)).contains(mac1), "each helper serves its own NIC");
            List<HelperInfo> found = b.helpers();
            Set<String> ids = found.stream().filter(h -> h.name().equals("slirp-dhcp")).map(HelperInfo::vmStateId)
                    .collect(Collectors.toSet());
            assertEquals(Set.of("slirp-" + mac1, "slirp-" + mac2), ids, found.toString());
            assertTrue(found.stream().filter(h -> h.name().equals("slirp-dhcp")).allMatch(h -> h.status().equals("ready")),
                    found.toString());
        }
        assertEquals(2, LIBVIRT.slirpArgv().stream().filter(a -> a.contains("-lvtwo-dbus.sock")).count());
        LIBVIRT.virshOk("destroy", d.name());
        awaitNothingLeft(d.name());
    }

    static int okCount(String serial) {
        return (int) serial.lines().filter(l -> l.startsWith("GUEST-NET-OK")).count();
    }

    static String readForward(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String got = "";
        while (System.nanoTime() < deadline && !got.contains("GUEST-FWD-HELLO")) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(5000);
                InputStream in = s.getInputStream();
                byte[] buf = new byte[64];
                StringBuilder sb = new StringBuilder();
                int n;
                while (!sb.toString().contains("GUEST-FWD-HELLO") && (n = in.read(buf)) > 0) {
                    sb.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
                }
                got = sb.toString();
            } catch (java.io.IOException e) {
                got = e.toString();
                Thread.sleep(500);
            }
        }
        return got;
    }
}
