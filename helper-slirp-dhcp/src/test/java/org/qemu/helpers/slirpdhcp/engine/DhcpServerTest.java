package org.qemu.helpers.slirpdhcp.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.common.testing.LogLines;

class DhcpServerTest {
    private static final Mac A = Mac.parse("52:54:00:00:00:0a");
    private static final Mac B = Mac.parse("52:54:00:00:00:0b");
    private static final int SERVER = Ip4.parse("10.0.2.2");
    private static final long T0 = 1_700_000_000L;

    private final NetworkConfig cfg = NetworkConfig.slirpDefaults("vm.internal");
    private final Statistics stats = new Statistics();
    private final List<String> logs = new ArrayList<>();
    private final DhcpServer srv = new DhcpServer(cfg, new LocalZone("vm.internal"), stats, LogLines.into(logs));

    private DhcpOutcome send(DhcpMessage m, long now) throws MalformedException {
        return srv.handle(Clients.roundTrip(m), now);
    }

    private DhcpReply reply(DhcpMessage m, long now) throws MalformedException {
        return send(m, now).reply().orElseThrow(() -> new AssertionError("no reply"));
    }

    private int lease(Mac mac, DhcpOptions extra, long now) throws MalformedException {
        DhcpReply offer = reply(Clients.msg(DhcpMessageType.DISCOVER, mac, 0, extra), now);
        assertEquals(DhcpMessageType.OFFER, offer.message().type());
        DhcpOptions req = Clients.opts().putIp(DhcpOption.SERVER_ID, SERVER)
                .putIp(DhcpOption.REQUESTED_IP, offer.message().yiaddr());
        extra.asMap().forEach(req::put);
        DhcpReply ack = reply(Clients.msg(DhcpMessageType.REQUEST, mac, 0, req), now);
        assertEquals(DhcpMessageType.ACK, ack.message().type());
        return ack.message().yiaddr();
    }

    @Test
    void discoverGetsOfferFromPoolStartWithSlirpOptions() throws Exception {
        DhcpReply r = reply(Clients.msg(DhcpMessageType.DISCOVER, A, 0, Clients.opts()), T0);
        DhcpMessage m = DhcpCodec.decode(r.encode());
        assertEquals(Ip4.parse("10.0.2.15"), m.yiaddr());
        assertEquals(DhcpMessageType.OFFER, m.type());
        assertEquals(SERVER, m.options().ip(DhcpOption.SERVER_ID).orElseThrow());
        assertEquals(Ip4.parse("255.255.255.0"), m.options().ip(DhcpOption.SUBNET_MASK).orElseThrow());
        assertEquals(SERVER, m.options().ip(DhcpOption.ROUTER).orElseThrow());
        assertEquals(Ip4.parse("10.0.2.3"), m.options().ip(DhcpOption.DNS).orElseThrow());
        assertEquals(86400, m.options().u32(DhcpOption.LEASE_TIME).orElseThrow());
        assertEquals(43200, m.options().u32(DhcpOption.RENEWAL_TIME).orElseThrow());
        assertEquals(75600, m.options().u32(DhcpOption.REBINDING_TIME).orElseThrow());
        assertArrayEquals("vm.internal".getBytes(), m.options().get(DhcpOption.DOMAIN_NAME).orElseThrow());
        assertArrayEquals(DhcpCodec.encodeSearchList(List.of("vm.internal")),
                m.options().get(DhcpOption.DOMAIN_SEARCH).orElseThrow());
        assertFalse(m.options().has(DhcpOption.INTERFACE_MTU), "26 only when configured");
        assertEquals(DhcpReply.Delivery.YIADDR, r.delivery());
        assertEquals(1, stats.get(Statistics.OFFERS));
    }

    @Test
    void mtuIsSentWhenConfiguredAndRequestedOptionsComeInClientOrder() throws Exception {
        DhcpServer s = new DhcpServer(cfg.withMtu(1400), new LocalZone("vm.internal"), stats, LogLines.into(logs));
        DhcpOptions o = Clients.opts().put(DhcpOption.PARAMETER_LIST, new byte[] {26, 6, 3, 1, 28});
        DhcpReply r = s.handle(Clients.msg(DhcpMessageType.DISCOVER, A, 0, o), T0).reply().orElseThrow();
        List<Integer> order = new ArrayList<>(r.message().options().asMap().keySet());
        assertEquals(List.of(53, 54, 51, 58, 59, 26, 6, 3, 1, 28), order.subList(0, 10));
        assertEquals(1400, r.message().options().u16(DhcpOption.INTERFACE_MTU).orElseThrow());
    }

    @Test
    void selectingRequestIsAckedAndJournalled() throws Exception {
        DhcpReply offer = reply(Clients.msg(DhcpMessageType.DISCOVER, A, 0, Clients.opts()), T0);
        DhcpOutcome out = send(Clients.msg(DhcpMessageType.REQUEST, A, 0, Clients.opts()
                .putIp(DhcpOption.SERVER_ID, SERVER).putIp(DhcpOption.REQUESTED_IP, offer.message().yiaddr())), T0);
        DhcpReply ack = out.reply().orElseThrow();
        assertEquals(DhcpMessageType.ACK, ack.message().type());
        assertEquals(offer.message().yiaddr(), ack.message().yiaddr());
        assertEquals(1, out.changes().size());
        StateChange.LeaseBound b = (StateChange.LeaseBound) out.changes().get(0);
        assertEquals(T0 + 86400, b.lease().expiresAt());
        assertTrue(b.fresh());
    }

    @Test
    void requestForAnotherServerIsIgnoredAndFreesTheOffer() throws Exception {
        DhcpReply offer = reply(Clients.msg(DhcpMessageType.DISCOVER, A, 0, Clients.opts()), T0);
        DhcpOutcome out = send(Clients.msg(DhcpMessageType.REQUEST, A, 0, Clients.opts()
                .putIp(DhcpOption.SERVER_ID, Ip4.parse("10.0.2.99"))
                .putIp(DhcpOption.REQUESTED_IP, offer.message().yiaddr())), T0);
        assertTrue(out.reply().isEmpty());
        // the freed address can go to the next client at once
        assertEquals(offer.message().yiaddr(), reply(Clients.msg(DhcpMessageType.DISCOVER, B, 0,
                Clients.opts().putIp(DhcpOption.REQUESTED_IP, offer.message().yiaddr())), T0).message().yiaddr());
    }

    @Test
    void initRebootIsAckedForItsOwnAddressAndNakedForAnotherNetwork() throws Exception {
        int ip = lease(A, Clients.opts(), T0);
        DhcpReply ok = reply(Clients.msg(DhcpMessageType.REQUEST, A, 0,
                Clients.opts().putIp(DhcpOption.REQUESTED_IP, ip)), T0 + 10);
        assertEquals(DhcpMessageType.ACK, ok.message().type());
        DhcpReply nak = reply(Clients.msg(DhcpMessageType.REQUEST, A, 0,
                Clients.opts().putIp(DhcpOption.REQUESTED_IP, Ip4.parse("192.168.1.5"))), T0 + 10);
        assertEquals(DhcpMessageType.NAK, nak.message().type());
        assertEquals(DhcpReply.Delivery.BROADCAST, nak.delivery());
        assertEquals(0, nak.message().yiaddr());
        assertEquals(1, stats.get(Statistics.NAKS));
    }

    @Test
    void initRebootForAnAddressHeldByAnotherClientIsNaked() throws Exception {
        int ipA = lease(A, Clients.opts(), T0);
        DhcpReply nak = reply(Clients.msg(DhcpMessageType.REQUEST, B, 0,
                Clients.opts().putIp(DhcpOption.REQUESTED_IP, ipA)), T0);
        assertEquals(DhcpMessageType.NAK, nak.message().type());
    }

    @Test
    void renewingAndRebindingExtendTheLeaseAndReplyToCiaddr() throws Exception {
        int ip = lease(A, Clients.opts(), T0);
        DhcpOutcome renew = send(Clients.msg(DhcpMessageType.REQUEST, A, ip, Clients.opts()), T0 + 43200);
        DhcpReply r = renew.reply().orElseThrow();
        assertEquals(DhcpMessageType.ACK, r.message().type());
        assertEquals(ip, r.message().yiaddr());
        assertEquals(ip, r.message().ciaddr());
        assertEquals(DhcpReply.Delivery.CIADDR, r.delivery());
        assertEquals(T0 + 43200 + 86400, ((StateChange.LeaseBound) renew.changes().get(0)).lease().expiresAt());
        assertFalse(((StateChange.LeaseBound) renew.changes().get(0)).fresh());
        // rebinding: the same message broadcast, after T2
        DhcpReply rebind = reply(Clients.msg(DhcpMessageType.REQUEST, A, ip, Clients.opts()), T0 + 43200 + 80000);
        assertEquals(DhcpMessageType.ACK, rebind.message().type());
    }

    @Test
    void renewingSomeoneElsesAddressIsNaked() throws Exception {
        int ipA = lease(A, Clients.opts(), T0);
        DhcpReply r = reply(Clients.msg(DhcpMessageType.REQUEST, B, ipA, Clients.opts()), T0);
        assertEquals(DhcpMessageType.NAK, r.message().type());
    }

    @Test
    void releaseEndsTheLeaseAndTheClientGetsTheSameAddressBack() throws Exception {
        int ip = lease(A, Clients.opts(), T0);
        DhcpOutcome rel = send(Clients.msg(DhcpMessageType.RELEASE, A, ip,
                Clients.opts().putIp(DhcpOption.SERVER_ID, SERVER)), T0 + 5);
        assertTrue(rel.reply().isEmpty());
        assertEquals("released", ((StateChange.LeaseEnded) rel.changes().get(0)).reason());
        assertTrue(srv.leases().isEmpty());
        assertEquals(ip, lease(A, Clients.opts(), T0 + 6));
    }

    @Test
    void declinedAddressIsSetAsideForTheHoldTime() throws Exception {
        int ip = lease(A, Clients.opts(), T0);
        DhcpOutcome d = send(Clients.msg(DhcpMessageType.DECLINE, A, 0, Clients.opts()
                .putIp(DhcpOption.REQUESTED_IP, ip).putIp(DhcpOption.SERVER_ID, SERVER)), T0 + 1);
        assertTrue(d.reply().isEmpty());
        assertEquals("declined", ((StateChange.LeaseEnded) d.changes().get(0)).reason());
        int next = lease(A, Clients.opts(), T0 + 2);
        assertNotEquals(ip, next);
        DhcpOptions want = Clients.opts().putIp(DhcpOption.REQUESTED_IP, ip);
        int during = reply(Clients.msg(DhcpMessageType.DISCOVER, B, 0, want), T0 + 3).message().yiaddr();
        assertNotEquals(ip, during, "held while declined");
        Mac c = Mac.parse("52:54:00:00:00:0c");
        int afterHold = reply(Clients.msg(DhcpMessageType.DISCOVER, c, 0, want), T0 + 2
                + NetworkConfig.DECLINE_HOLD_SECONDS).message().yiaddr();
        assertEquals(ip, afterHold, "free again after the hold");
    }

    @Test
    void declineFromAnotherClientIsIgnored() throws Exception {
        int ip = lease(A, Clients.opts(), T0);
        DhcpOutcome d = send(Clients.msg(DhcpMessageType.DECLINE, B, 0,
                Clients.opts().putIp(DhcpOption.REQUESTED_IP, ip)), T0);
        assertTrue(d.changes().isEmpty());
        assertEquals(1, srv.leases().size());
    }

    @Test
    void informGetsConfigurationWithoutLease() throws Exception {
        int ci = Ip4.parse("10.0.2.200");
        DhcpReply r = reply(Clients.msg(DhcpMessageType.INFORM, A, ci, Clients.opts()), T0);
        assertEquals(DhcpMessageType.ACK, r.message().type());
        assertEquals(0, r.message().yiaddr());
        assertFalse(r.message().options().has(DhcpOption.LEASE_TIME));
        assertTrue(r.message().options().has(DhcpOption.DNS));
        assertEquals(DhcpReply.Delivery.CIADDR, r.delivery());
        assertEquals(ci, r.destIp());
        assertTrue(srv.leases().isEmpty());
    }

    @Test
    void clientIdentifierTakesPrecedenceOverHardwareAddress() throws Exception {
        DhcpOptions id1 = Clients.opts().put(DhcpOption.CLIENT_ID, new byte[] {0, 'o', 'n', 'e'});
        DhcpOptions id2 = Clients.opts().put(DhcpOption.CLIENT_ID, new byte[] {0, 't', 'w', 'o'});
        int ip1 = lease(A, id1, T0);
        int ip2 = lease(A, id2, T0);
        assertNotEquals(ip1, ip2, "same MAC, different client ids: two clients");
        assertEquals(ip1, lease(B, id1, T0 + 1), "same client id on another MAC: same client");
    }

    @Test
    void requestedAddressInDiscoverIsHonouredWhenFree() throws Exception {
        int want = Ip4.parse("10.0.2.77");
        DhcpReply r = reply(Clients.msg(DhcpMessageType.DISCOVER, A, 0,
                Clients.opts().putIp(DhcpOption.REQUESTED_IP, want)), T0);
        assertEquals(want, r.message().yiaddr());
        DhcpReply other = reply(Clients.msg(DhcpMessageType.DISCOVER, B, 0,
                Clients.opts().putIp(DhcpOption.REQUESTED_IP, want)), T0);
        assertNotEquals(want, other.message().yiaddr(), "offered to A");
    }

    @Test
    void broadcastFlagAndMaxMessageSizeShapeTheReply() throws Exception {
        DhcpMessage m = Clients.msg(DhcpMessageType.DISCOVER, A, 0,
                Clients.opts().putU16(DhcpOption.MAX_MESSAGE_SIZE, 1000));
        DhcpMessage bc = new DhcpMessage(m.op(), m.htype(), 0, m.xid(), 0, DhcpMessage.FLAG_BROADCAST, 0, 0, 0, 0,
                m.chaddr(), m.options());
        DhcpReply r = srv.handle(bc, T0).reply().orElseThrow();
        assertEquals(DhcpReply.Delivery.BROADCAST, r.delivery());
        assertEquals(Mac.BROADCAST, r.destMac());
        assertEquals(1000 - 28, r.maxSize());
        assertTrue(r.message().broadcastFlag());
        DhcpReply small = srv.handle(Clients.msg(DhcpMessageType.DISCOVER, B, 0,
                Clients.opts().putU16(DhcpOption.MAX_MESSAGE_SIZE, 100)), T0).reply().orElseThrow();
        assertEquals(548, small.maxSize(), "never below the RFC 2131 minimum");
    }

    @Test
    void staticLeaseGivesItsAddressAndHostname() throws Exception {
        int ip = Ip4.parse("10.0.2.5");
        srv.addStatic(new StaticLease(A, ip, "db"));
        DhcpReply offer = reply(Clients.msg(DhcpMessageType.DISCOVER, A, 0, Clients.opts()), T0);
        assertEquals(ip, offer.message().yiaddr());
        assertArrayEquals("db".getBytes(), offer.message().options().get(DhcpOption.HOSTNAME).orElseThrow());
        assertEquals(ip, lease(A, Clients.opts(), T0));
        assertEquals(Optional.of(ip), srv.zone().lookup("db.vm.internal"));
        // nobody else gets it, even by asking
        DhcpReply nak = reply(Clients.msg(DhcpMessageType.REQUEST, B, 0,
                Clients.opts().putIp(DhcpOption.REQUESTED_IP, ip)), T0);
        assertEquals(DhcpMessageType.NAK, nak.message().type());
        assertThrows(IllegalArgumentException.class, () -> srv.addStatic(new StaticLease(B, Ip4.parse("10.0.2.2"), "")));
        assertThrows(IllegalStateException.class, () -> srv.addStatic(new StaticLease(B, ip, "")));
    }

    @Test
    void leasesExpireAndTheirNamesDisappear() throws Exception {
        int ip = lease(A, Clients.opts().put(DhcpOption.HOSTNAME, "Web_1".getBytes()), T0);
        assertEquals(Optional.of(ip), srv.zone().lookup("web-1.vm.internal"));
        assertEquals(Optional.of("web-1.vm.internal"), srv.zone().reverse(ip));
        assertTrue(srv.expire(T0 + 86399).isEmpty());
        List<StateChange> ch = srv.expire(T0 + 86400);
        assertEquals("expired", ((StateChange.LeaseEnded) ch.get(0)).reason());
        assertTrue(srv.zone().lookup("web-1.vm.internal").isEmpty());
        assertTrue(srv.leases().isEmpty());
    }

    @Test
    void hostnameConflictKeepsTheFirstHolder() throws Exception {
        int ipA = lease(A, Clients.opts().put(DhcpOption.HOSTNAME, "same".getBytes()), T0);
        lease(B, Clients.opts().put(DhcpOption.HOSTNAME, "same".getBytes()), T0);
        assertEquals(Optional.of(ipA), srv.zone().lookup("same.vm.internal"));
        assertTrue(logs.stream().anyMatch(l -> l.startsWith("hostname_conflict")));
    }

    @Test
    void exhaustedPoolGetsNoOfferAndIsCounted() throws Exception {
        NetworkConfig tiny = cfg.withPool(Ip4.parse("10.0.2.15"), Ip4.parse("10.0.2.16"));
        DhcpServer s = new DhcpServer(tiny, new LocalZone("vm.internal"), stats, LogLines.into(logs));
        for (int i = 0; i < 2; i++) {
            Mac mac = new Mac(0x525400000100L + i);
            assertTrue(s.handle(Clients.msg(DhcpMessageType.DISCOVER, mac, 0, Clients.opts()), T0).reply().isPresent());
        }
        DhcpOutcome none = s.handle(Clients.msg(DhcpMessageType.DISCOVER, B, 0, Clients.opts()), T0);
        assertTrue(none.reply().isEmpty());
        assertEquals(1, stats.get(Statistics.POOL_EXHAUSTED));
        assertTrue(logs.stream().anyMatch(l -> l.startsWith("pool_exhausted")));
        // offers time out, then the address is free again
        assertTrue(s.handle(Clients.msg(DhcpMessageType.DISCOVER, B, 0, Clients.opts()), T0 + 61).reply().isPresent());
    }

    @Test
    void snapshotRestoresLeasesStaticsAndHosts() throws Exception {
        int ip = lease(A, Clients.opts().put(DhcpOption.HOSTNAME, "x".getBytes()), T0);
        srv.addStatic(new StaticLease(B, Ip4.parse("10.0.2.9"), "b"));
        srv.addHost(new HostRecord("printer.vm.internal", Ip4.parse("10.0.2.250")));
        NetState s = srv.snapshot();
        DhcpServer fresh = new DhcpServer(cfg, new LocalZone("vm.internal"), new Statistics(), EventLog.NONE);
        fresh.restore(s);
        assertEquals(ip, fresh.leases().get(0).ip());
        assertEquals(Optional.of(ip), fresh.zone().lookup("x.vm.internal"));
        assertEquals(Optional.of(Ip4.parse("10.0.2.9")), fresh.zone().lookup("b.vm.internal"));
        assertEquals(Optional.of(Ip4.parse("10.0.2.250")), fresh.zone().lookup("printer.vm.internal"));
        // the restored client renews its address
        DhcpReply r = fresh.handle(Clients.msg(DhcpMessageType.REQUEST, A, ip, Clients.opts()), T0 + 100)
                .reply().orElseThrow();
        assertEquals(DhcpMessageType.ACK, r.message().type());
    }

    @Test
    void serverMessagesAndMissingTypeAreMalformed() {
        assertThrows(MalformedException.class, () -> srv.handle(Clients.msg(DhcpMessageType.OFFER, A, 0,
                Clients.opts()), T0));
        DhcpMessage noType = new DhcpMessage(1, 1, 0, 1, 0, 0, 0, 0, 0, 0, A.bytes(), new DhcpOptions());
        assertThrows(MalformedException.class, () -> srv.handle(noType, T0));
        assertThrows(MalformedException.class, () -> srv.handle(Clients.msg(DhcpMessageType.DISCOVER, Mac.BROADCAST,
                0, Clients.opts()), T0));
    }

    @Test
    void guestTriggeredLogLinesAreCappedPerSecond() throws Exception {
        for (int i = 0; i < 100; i++) {
            srv.handle(Clients.msg(DhcpMessageType.REQUEST, A, 0,
                    Clients.opts().putIp(DhcpOption.REQUESTED_IP, Ip4.parse("192.168.0.1"))), T0);
        }
        assertEquals(100, stats.get(Statistics.NAKS));
        assertEquals(5, logs.stream().filter(l -> l.startsWith("nak ")).count());
        srv.handle(Clients.msg(DhcpMessageType.REQUEST, A, 0,
                Clients.opts().putIp(DhcpOption.REQUESTED_IP, Ip4.parse("192.168.0.1"))), T0 + 1);
        assertTrue(logs.get(logs.size() - 1).endsWith("suppressed_before=95"), logs.get(logs.size() - 1));
    }

    @Test
    void aGuestChosenHostnameIsQuotedInItsLogLine() throws Exception {
        lease(A, Clients.opts().put(DhcpOption.HOSTNAME, "\n\" = \"".getBytes()), T0);
        String line = logs.stream().filter(l -> l.startsWith("hostname_ignored ")).findFirst().orElseThrow();
        assertTrue(line.endsWith(" raw=\"\\x0a\\\" = \\\"\""), line);
    }
}
