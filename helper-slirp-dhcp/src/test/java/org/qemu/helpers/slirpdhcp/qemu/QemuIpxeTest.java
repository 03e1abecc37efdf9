package org.qemu.helpers.slirpdhcp.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.Qemu;
import org.qemu.helpers.slirpdhcp.Main;
import org.qemu.helpers.slirpdhcp.dbus.LeaseEntry;
import org.qemu.helpers.slirpdhcp.dbus.SlirpDhcp1;

/**
 * Real QEMU 7.2 with {@code -netdev stream} to the helper and a virtio-net NIC, no guest OS: the NIC's iPXE ROM is
 * the DHCP client. Then a dbus-vmstate migration of that VM moves the lease to a fresh helper.
 */
class QemuIpxeTest {
    static final String MAC = "52:54:00:12:34:99";

    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @AfterEach
    void cleanUp() {
        BUS.killHelpers();
    }

    HelperProcess helper(String name) throws Exception {
        return BUS.startHelper(Main.class, "--state-dir=" + BUS.dir().resolve(name), "--netdev-socket="
                + BUS.dir().resolve(name + ".sock"), "--upstream", "127.0.0.1:9").awaitReady(Duration.ofSeconds(30));
    }

    List<String> vm(String sock) {
        return new ArrayList<>(List.of("-machine", "pc", "-accel", "tcg", "-m", "128", "-display", "none",
                "-netdev", "stream,id=n0,server=off,addr.type=unix,addr.path=" + sock,
                "-device", "virtio-net-pci,netdev=n0,mac=" + MAC,
                "-boot", "n", "-object", "dbus-vmstate,id=dv,addr=" + BUS.qemuAddress()));
    }

    @Test
    void ipxeGetsALeaseAndMigrationCarriesItToAFreshHelper() throws Exception {
        HelperProcess h1 = helper("h1");
        DBusConnection conn = BUS.connect();
        LinkedBlockingQueue<String> added = new LinkedBlockingQueue<>();
        conn.addSigHandler(SlirpDhcp1.LeaseAdded.class, s -> added.add(s.getMac() + " " + s.getIp()));
        SlirpDhcp1 p1 = conn.getRemoteObject(SlirpDhcp1.NAME, SlirpDhcp1.PATH, SlirpDhcp1.class);
        Path file = BUS.dir().resolve("vm.migration");
        long t0 = System.nanoTime();
        try (Qemu src = Qemu.start(BUS.dir(), "src", vm(BUS.dir().resolve("h1.sock").toString()))) {
            String sig = added.poll(90, TimeUnit.SECONDS);
            assertNotNull(sig, "no LeaseAdded within 90 s; helper: " + h1.output() + " qemu: " + src.output());
            System.out.println("iPXE lease after " + (System.nanoTime() - t0) / 1_000_000 + " ms from QEMU start");
            assertEquals(MAC + " 10.0.2.15", sig);
            List<LeaseEntry> leases = p1.ListLeases();
            assertTrue(leases.stream().anyMatch(l -> l.getMac().equals(MAC) && l.getIp().equals("10.0.2.15")
                    && l.getExpiry() > System.currentTimeMillis() / 1000), leases.toString());
            assertTrue(h1.output().contains("netdev_connected"), h1.output());
            src.qmp().execute("migrate", Map.of("uri", "exec:cat > " + file));
            src.qmp().awaitMigration(Duration.ofSeconds(120));
        }
        assertTrue(h1.output().contains("vmstate-save"), h1.output());
        assertEquals(0, h1.stop());

        HelperProcess h2 = helper("h2"); // fresh state directory: knows nothing
        SlirpDhcp1 p2 = conn.getRemoteObject(SlirpDhcp1.NAME, SlirpDhcp1.PATH, SlirpDhcp1.class);
        assertTrue(p2.ListLeases().isEmpty());
        List<String> dst = vm(BUS.dir().resolve("h2.sock").toString());
        dst.addAll(List.of("-incoming", "exec:cat " + file, "-S"));
        try (Qemu q = Qemu.start(BUS.dir(), "dst", dst)) {
            q.qmp().awaitMigration(Duration.ofSeconds(120));
        }
        List<LeaseEntry> moved = p2.ListLeases();
        assertTrue(moved.stream().anyMatch(l -> l.getMac().equals(MAC) && l.getIp().equals("10.0.2.15")),
                moved + " " + h2.output());
        assertTrue(h2.output().contains("vmstate-load"), h2.output());
        assertEquals(0, h2.stop());
    }
}
