package org.qemu.helpers.slirpdhcp.engine.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.slirpdhcp.engine.DhcpCodec;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessage;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessageType;
import org.qemu.helpers.slirpdhcp.engine.DhcpOption;
import org.qemu.helpers.slirpdhcp.engine.DhcpOptions;
import org.qemu.helpers.slirpdhcp.engine.DhcpServer;
import org.qemu.helpers.slirpdhcp.engine.DnsResolver;
import org.qemu.helpers.slirpdhcp.engine.HostRecord;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.LocalZone;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.DhcpEndpoint;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.WireReader;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import org.qemu.helpers.common.log.EventLog;

class GuestLinkTest {
    static final Mac GUEST = Mac.parse("52:54:00:12:34:56");
    static final int GW = Ip4.parse("10.0.2.2");
    static final int DNS = Ip4.parse("10.0.2.3");

    final NetworkConfig cfg = NetworkConfig.slirpDefaults("vm.internal");
    final Statistics stats = new Statistics();
    final DhcpServer dhcp = new DhcpServer(cfg, new LocalZone("vm.internal"), stats, EventLog.NONE);
    final GuestLink link = new GuestLink(cfg, DhcpEndpoint.volatileEndpoint(dhcp, () -> 1_700_000_000L),
            new DnsResolver(cfg, dhcp.zone(), List.of(), stats, System::currentTimeMillis, EventLog.NONE), stats,
            EventLog.NONE);

    List<byte[]> send(byte[] frame) {
        List<byte[]> out = new ArrayList<>();
        link.handle(frame, out::add);
        return out;
    }

    @Test
    void arpForGatewayIsAnsweredWithSlirpStyleMac() throws Exception {
        byte[] req = Frames.ethernetFrame(Mac.BROADCAST, GUEST, Frames.TYPE_ARP,
                Frames.arpPacket(1, GUEST, Ip4.parse("10.0.2.15"), new Mac(0), GW));
        List<byte[]> out = send(req);
        assertEquals(1, out.size());
        Frames.Ethernet eth = Frames.ethernet(out.get(0));
        assertEquals(GUEST, eth.dst());
        Frames.Arp a = Frames.arp(eth.payload());
        assertEquals(2, a.op());
        assertEquals(Mac.parse("52:55:0a:00:02:02"), a.senderMac());
        assertEquals(GW, a.senderIp());
        assertEquals(Ip4.parse("10.0.2.15"), a.targetIp());
        assertTrue(send(Frames.ethernetFrame(Mac.BROADCAST, GUEST, Frames.TYPE_ARP,
                Frames.arpPacket(1, GUEST, Ip4.parse("10.0.2.15"), new Mac(0), Ip4.parse("10.0.2.77")))).isEmpty());
    }

    @Test
    void pingToDnsAddressIsEchoedWithValidChecksums() throws Exception {
        byte[] icmp = Frames.icmpEcho(8, 7, 9, "hello".getBytes());
        byte[] frame = Frames.ethernetFrame(Mac.parse("52:55:0a:00:02:03"), GUEST, Frames.TYPE_IPV4,
                Frames.ipv4Packet(Ip4.parse("10.0.2.15"), DNS, Frames.PROTO_ICMP, icmp));
        List<byte[]> out = send(frame);
        assertEquals(1, out.size());
        Frames.Ipv4 ip = Frames.ipv4(Frames.ethernet(out.get(0)).payload()); // verifies header checksum
        assertEquals(DNS, ip.src());
        Frames.IcmpEcho e = Frames.icmp(ip); // verifies ICMP checksum
        assertEquals(0, e.type());
        assertEquals(7, e.id());
        assertEquals(9, e.seq());
        assertEquals("hello", new String(e.data()));
    }

    @Test
    void echoReplyIsBuiltInTheRequestsArrayExactlyAsTheLayeredBuildersWouldBuildIt() throws Exception {
        java.util.Random rnd = new java.util.Random(10);
        int guestIp = Ip4.parse("10.0.2.15");
        for (int size : new int[] {0, 5, 56, 1472, 65000}) {
            byte[] data = new byte[size];
            rnd.nextBytes(data);
            int id = rnd.nextInt(65536);
            int seq = rnd.nextInt(65536);
            byte[] req = Frames.ethernetFrame(GuestLink.virtualMac(GW), GUEST, Frames.TYPE_IPV4,
                    Frames.ipv4Packet(guestIp, GW, Frames.PROTO_ICMP, Frames.icmpEcho(8, id, seq, data)));
            List<byte[]> out = send(req);
            assertEquals(1, out.size());
            byte[] got = out.get(0);
            assertTrue(got == req, "answered in place, size " + size);
            Frames.Ipv4 ip = Frames.ipv4(Frames.ethernet(got).payload()); // verifies the header checksum
            Frames.IcmpEcho e = Frames.icmp(ip); // verifies the ICMP checksum
            assertEquals(0, e.type());
            byte[] want = Frames.ethernetFrame(GUEST, GuestLink.virtualMac(GW), Frames.TYPE_IPV4,
                    Frames.ipv4Packet(GW, guestIp, Frames.PROTO_ICMP, Frames.icmpEcho(0, id, seq, data)));
            for (int i : new int[] {18, 19, 24, 25}) { // the IP identification and so the header checksum differ
                want[i] = 0;
                got[i] = 0;
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(want, got, "size " + size);
        }
        assertEquals(5, stats.get("icmp_echo_replies"));
    }

    @Test
    void echoRequestsThePlaceCannotServeAreAnsweredOrDroppedAsBefore() throws Exception {
        int guestIp = Ip4.parse("10.0.2.15");
        byte[] ipPacket = Frames.ipv4Packet(guestIp, GW, Frames.PROTO_ICMP, Frames.icmpEcho(8, 1, 2, new byte[4]));
        byte[] padded = java.util.Arrays.copyOf(Frames.ethernetFrame(GuestLink.virtualMac(GW), GUEST,
                Frames.TYPE_IPV4, ipPacket), 60); // a short frame padded to Ethernet's minimum
        List<byte[]> out = send(padded.clone());
        assertEquals(1, out.size());
        assertEquals(14 + 20 + 8 + 4, out.get(0).length, "the reply carries no padding");
        assertEquals(0, Frames.icmp(Frames.ipv4(Frames.ethernet(out.get(0)).payload())).type());
        byte[] bad = Frames.ethernetFrame(GuestLink.virtualMac(GW), GUEST, Frames.TYPE_IPV4, ipPacket);
        bad[bad.length - 1] ^= 1; // breaks the ICMP checksum
        byte[] before = bad.clone();
        assertTrue(send(bad).isEmpty());
        org.junit.jupiter.api.Assertions.assertArrayEquals(before, bad, "a refused request is left as it was");
        assertEquals(1, stats.get(Statistics.DROPPED_MALFORMED));
        byte[] reply = Frames.ethernetFrame(GuestLink.virtualMac(GW), GUEST, Frames.TYPE_IPV4,
                Frames.ipv4Packet(guestIp, GW, Frames.PROTO_ICMP, Frames.icmpEcho(0, 1, 2, new byte[4])));
        assertTrue(send(reply).isEmpty(), "an echo reply is not answered");
    }

    @Test
    void dhcpDiscoverInAFrameGetsAnOfferFrameAndRequestIsCommittedFirst() throws Exception {
        DhcpOptions o = new DhcpOptions().putU8(DhcpOption.MESSAGE_TYPE, DhcpMessageType.DISCOVER.code());
        DhcpMessage d = new DhcpMessage(1, 1, 0, 42, 0, 0, 0, 0, 0, 0, GUEST.bytes(), o);
        List<byte[]> out = send(Frames.udpFrame(Mac.BROADCAST, GUEST, 0, -1, 68, 67, DhcpCodec.encode(d, 1472)));
        assertEquals(1, out.size());
        Frames.Ethernet eth = Frames.ethernet(out.get(0));
        assertEquals(GUEST, eth.dst(), "unicast to chaddr without the broadcast flag");
        Frames.Ipv4 ip = Frames.ipv4(eth.payload());
        assertEquals(Ip4.parse("10.0.2.15"), ip.dst());
        Frames.Udp udp = Frames.udp(ip); // verifies the UDP checksum
        assertEquals(68, udp.dstPort());
        DhcpMessage offer = DhcpCodec.decode(udp.payload());
        assertEquals(DhcpMessageType.OFFER, offer.type());
        DhcpOptions r = new DhcpOptions().putU8(DhcpOption.MESSAGE_TYPE, DhcpMessageType.REQUEST.code())
                .putIp(DhcpOption.SERVER_ID, GW).putIp(DhcpOption.REQUESTED_IP, offer.yiaddr());
        DhcpMessage req = new DhcpMessage(1, 1, 0, 43, 0, DhcpMessage.FLAG_BROADCAST, 0, 0, 0, 0, GUEST.bytes(), r);
        out = send(Frames.udpFrame(Mac.BROADCAST, GUEST, 0, -1, 68, 67, DhcpCodec.encode(req, 1472)));
        Frames.Ethernet ackEth = Frames.ethernet(out.get(0));
        assertEquals(Mac.BROADCAST, ackEth.dst(), "broadcast flag honoured");
        assertEquals(-1, Frames.ipv4(ackEth.payload()).dst());
        assertEquals(1, dhcp.leases().size());
    }

    @Test
    void dnsQueryInAFrameIsAnswered() throws Exception {
        dhcp.addHost(new HostRecord("gw.vm.internal", GW));
        Message q = Message.newQuery(Record.newRecord(Name.fromString("gw.vm.internal."), Type.A, DClass.IN));
        List<byte[]> out = send(Frames.udpFrame(Mac.parse("52:55:0a:00:02:03"), GUEST, Ip4.parse("10.0.2.15"), DNS,
                40000, 53, q.toWire()));
        Frames.Udp udp = Frames.udp(Frames.ipv4(Frames.ethernet(out.get(0)).payload()));
        assertEquals(40000, udp.dstPort());
        assertEquals(53, udp.srcPort());
        Message m = new Message(udp.payload());
        assertEquals("10.0.2.2", ((ARecord) m.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress());
    }

    @Test
    void badChecksumsAndOtherTrafficAreDroppedAndCounted() throws Exception {
        byte[] frame = Frames.udpFrame(Mac.BROADCAST, GUEST, 0, -1, 68, 67, new byte[300]);
        frame[Frames.ETH_HEADER + 20 + 6] ^= 0x55; // break the UDP checksum
        assertTrue(send(frame).isEmpty());
        assertEquals(1, stats.get(Statistics.DROPPED_MALFORMED));
        byte[] tcp = Frames.ethernetFrame(Mac.BROADCAST, GUEST, Frames.TYPE_IPV4,
                Frames.ipv4Packet(Ip4.parse("10.0.2.15"), Ip4.parse("8.8.8.8"), 6, new byte[20]));
        assertTrue(send(tcp).isEmpty());
        assertTrue(send(Frames.ethernetFrame(Mac.BROADCAST, GUEST, 0x86dd, new byte[40])).isEmpty());
        assertEquals(2, stats.get(Statistics.DROPPED_OTHER));
        new WireReader(new byte[0]);
    }
}
