package org.qemu.helpers.slirpdhcp.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qemu.helpers.common.health.Health;
import org.qemu.helpers.common.testing.RecordedOrder;
import org.qemu.helpers.common.testing.SmallTmpfs;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessage;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessageType;
import org.qemu.helpers.slirpdhcp.engine.DhcpOption;
import org.qemu.helpers.slirpdhcp.engine.DhcpOptions;
import org.qemu.helpers.slirpdhcp.engine.DhcpReply;
import org.qemu.helpers.slirpdhcp.engine.DhcpServer;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.LocalZone;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.NetState;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.StaticLease;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.common.testing.LogLines;

/**
 * The lease journal acknowledges a lease only once it is on disk: the ACK is released after the
 * journal's write and force (recorded order), and a full file system (a real tmpfs) withholds
 * the ACK and refuses admin changes with a clear error, keeps every earlier lease and recovers
 * when space returns.
 */
class LeaseDurabilityTest {
    static final long NOW = 1_700_000_000L;
    static final int SERVER = Ip4.parse("10.0.2.2");

    @TempDir
    Path dir;

    final List<String> logs = new CopyOnWriteArrayList<>();
    /** What the helper's Status would show: the degraded conditions reported, and their ends. */
    final List<String> health = new CopyOnWriteArrayList<>();

    DurableDhcp open(Path d, RecordedOrder order) throws IOException {
        Statistics stats = new Statistics();
        LeaseStore store = LeaseStore.open(d, 8L << 20, LogLines.into(logs), order);
        DhcpServer server = new DhcpServer(NetworkConfig.slirpDefaults("vm.internal"), new LocalZone("vm.internal"),
                stats, LogLines.into(logs));
        server.restore(store.recovered());
        DurableDhcp dhcp = new DurableDhcp(server, store, () -> NOW, stats, LogLines.into(logs));
        dhcp.setHealth(new Health() {
            @Override
            public void degraded(String condition, String reason) {
                health.add("degraded " + condition + " " + reason);
            }

            @Override
            public void recovered(String condition) {
                if (!health.isEmpty() && health.get(health.size() - 1).startsWith("degraded " + condition)) {
                    health.add("recovered " + condition); // transitions only, as the runtime's board
                }
            }
        });
        return dhcp;
    }

    static DhcpMessage msg(DhcpMessageType type, Mac mac, DhcpOptions extra) {
        DhcpOptions o = new DhcpOptions();
        o.putU8(DhcpOption.MESSAGE_TYPE, type.code());
        extra.asMap().forEach(o::put);
        return new DhcpMessage(DhcpMessage.BOOTREQUEST, 1, 0, 0x1234, 0, 0, 0, 0, 0, 0, mac.bytes(), o);
    }

    /** DISCOVER then REQUEST (RFC 2131 3.1); the ACK, or empty when it was withheld. */
    static Optional<DhcpReply> lease(DurableDhcp dhcp, Mac mac) {
        DhcpReply offer = dhcp.serve(msg(DhcpMessageType.DISCOVER, mac, new DhcpOptions())).orElseThrow();
        DhcpOptions req = new DhcpOptions().putIp(DhcpOption.SERVER_ID, SERVER)
                .putIp(DhcpOption.REQUESTED_IP, offer.message().yiaddr());
        return dhcp.serve(msg(DhcpMessageType.REQUEST, mac, req));
    }

    static Mac mac(int i) {
        return new Mac(0x525400000000L + i);
    }

    @Test
    void eachAckIsReleasedAfterTheJournalForce() throws Exception {
        RecordedOrder order = new RecordedOrder();
        DurableDhcp dhcp = open(dir, order);
        for (int i = 0; i < 20; i++) {
            DhcpReply ack = lease(dhcp, mac(i)).orElseThrow();
            assertEquals(DhcpMessageType.ACK, ack.message().type());
        }
        dhcp.admin(s -> s.addStatic(new StaticLease(mac(99), Ip4.parse("10.0.2.99"), "db")));
        order.assertEachReplyAfterItsForce();
        assertEquals(21, order.replies(), order.entries().toString());
    }

    @Test
    void aFullDiskWithholdsTheAckKeepsEveryLeaseAndRecovers() throws Exception {
        try (SmallTmpfs fs = SmallTmpfs.mount(256)) {
            Path d = fs.dir().resolve("leases");
            DurableDhcp dhcp = open(d, new RecordedOrder());
            List<Mac> acked = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                lease(dhcp, mac(i)).orElseThrow();
                acked.add(mac(i));
            }
            fs.fill();
            // the journal's last page may still have room: lease on until the kernel refuses
            int i = 10;
            Optional<DhcpReply> ack;
            while ((ack = lease(dhcp, mac(i))).isPresent()) {
                acked.add(mac(i));
                i++;
                assertTrue(i < 2_000, "the journal never ran out of space");
            }
            Mac refused = mac(i);
            assertTrue(!health.isEmpty() && health.stream().allMatch(h -> h.startsWith("degraded ")) && health.get(0).startsWith("degraded lease-journal lease journal ")
                    && health.get(0).contains("No space left") && health.get(0).contains("DHCP replies are withheld"),
                    "issue 11: the helper shows degraded while it withholds replies: " + health);
            assertTrue(logs.stream().anyMatch(l -> l.startsWith("journal_failed") && l.contains("No space left")
                    && l.contains("action=replies_withheld")), logs.toString());
            // cutting back the torn record freed a few bytes of its page: admin changes fill them, then fail
            IOException admin = null;
            for (int n = 0; admin == null; n++) {
                assertTrue(n < 50, "admin changes never ran out of space");
                StaticLease st = new StaticLease(mac(500 + n), Ip4.parse("10.0.2.200") + n, "");
                try {
                    dhcp.admin(s -> s.addStatic(st));
                } catch (IOException e) {
                    admin = e;
                }
            }
            assertTrue(admin.getMessage().contains("No space left") && admin.getMessage().contains("lease journal"),
                    admin.getMessage());

            fs.free();
            assertTrue(lease(dhcp, refused).isPresent(), "the refused client is served once space returns");
            assertEquals("recovered lease-journal", health.get(health.size() - 1), health.toString());
            acked.add(refused);
            Mac after = mac(1_000);
            assertTrue(lease(dhcp, after).isPresent());
            acked.add(after);
            dhcp.server().leases(); // still serving
            dhcp.close();

            logs.clear();
            try (LeaseStore reopened = LeaseStore.open(d, 8L << 20, LogLines.into(logs))) {
                NetState st = reopened.recovered();
                for (Mac m : acked) {
                    assertTrue(st.leases().stream().anyMatch(l -> l.mac().equals(m)),
                            "acknowledged lease of " + m + " lost; recovered " + st.leases().size() + " of "
                                    + acked.size() + "; " + logs);
                }
                assertFalse(logs.stream().anyMatch(l -> l.startsWith("journal_tail_dropped")),
                        "the journal holds a torn record: " + logs);
            }
        }
    }
}
