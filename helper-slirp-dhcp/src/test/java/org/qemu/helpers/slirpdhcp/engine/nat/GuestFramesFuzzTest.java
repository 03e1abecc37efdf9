package org.qemu.helpers.slirpdhcp.engine.nat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;
import org.qemu.helpers.slirpdhcp.engine.DhcpEndpoint;
import org.qemu.helpers.slirpdhcp.engine.DhcpServer;
import org.qemu.helpers.slirpdhcp.engine.DnsResolver;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.LocalZone;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.frame.Frames;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestLink;
import org.qemu.helpers.common.log.EventLog;

/**
 * Fuzz target (Jazzer) for everything the guest can send the helper: Ethernet frames into the guest link, which
 * parses them (ARP, IPv4, UDP, TCP, ICMP) and hands them to the DHCP server (RFC 2131), the DNS resolver
 * (RFC 1035) and the NAT's TCP/UDP translation, while the host side of the NAT connects, refuses, sends and
 * time passes, as the fuzzer decides. No exception may escape, every frame sent back to the guest must parse
 * with valid checksums (the harness checks), and the flow table and its buffers stay within their bounds.
 * The test suite replays the committed corpus; {@code deploy/fuzz.sh MINUTES} fuzzes for real. No socket is
 * opened: the host side records.
 */
class GuestFramesFuzzTest {
    private static final int MAX_FLOWS = 64;
    private static final Mac GATEWAY_MAC = Mac.parse("52:55:0a:00:02:02");
    private static final int[] PORTS = {67, 53, 80, 443, 69, 7};
    private static final int[] ADDRESSES = {Ip4.parse("10.0.2.2"), Ip4.parse("10.0.2.3"), Ip4.parse("255.255.255.255"),
        NatHarness.REMOTE, Ip4.parse("127.0.0.1")};

    @FuzzTest
    void guestFrames(FuzzedDataProvider in) throws Exception {
        NatHarness h = new NatHarness(new NatPolicy(true, Ip4.parse("127.0.0.1"), false, MAX_FLOWS));
        NetworkConfig cfg = NetworkConfig.slirpDefaults("vm.internal");
        DhcpServer dhcp = new DhcpServer(cfg, new LocalZone("vm.internal"), h.stats, EventLog.NONE);
        GuestLink link = new GuestLink(cfg, DhcpEndpoint.volatileEndpoint(dhcp, () -> 1_700_000_000L),
                new DnsResolver(cfg, dhcp.zone(), List.of(), h.stats, () -> 0L, EventLog.NONE), h.stats, EventLog.NONE);
        link.nat(h.engine);
        for (int i = 0; i < 16 && in.remainingBytes() > 0; i++) {
            link.handle(frame(in), h.toGuest::add);
            host(in, h);
            verifyToGuest(h.toGuest);
            if (h.engine.flowCount() > MAX_FLOWS) {
                throw new IllegalStateException(h.engine.flowCount() + " flows with a limit of " + MAX_FLOWS);
            }
            if (h.engine.bufferedBytes() > (long) MAX_FLOWS * 2 * TcpFlow.BUFFER) {
                throw new IllegalStateException(h.engine.bufferedBytes() + " bytes buffered");
            }
        }
    }

    /** Every frame the helper sent the guest parses, its checksums valid (ARP, or IPv4 with ICMP, UDP or TCP). */
    private static void verifyToGuest(List<byte[]> frames) throws Exception {
        for (byte[] f : frames) {
            Frames.Ethernet e = Frames.ethernet(f);
            if (e.type() == Frames.TYPE_ARP) {
                Frames.arp(e.payload());
                continue;
            }
            Frames.Ipv4 ip = Frames.ipv4(e.payload());
            switch (ip.proto()) {
                case Frames.PROTO_TCP -> TcpSegment.parse(ip);
                case Frames.PROTO_UDP -> Frames.udp(ip);
                case Frames.PROTO_ICMP -> Frames.icmp(ip);
                default -> throw new IllegalStateException("sent the guest IP protocol " + ip.proto());
            }
        }
        frames.clear();
    }

    /** Raw bytes, or a UDP datagram or TCP segment to a port the helper serves, with fuzzed contents. */
    private static byte[] frame(FuzzedDataProvider in) {
        switch (in.consumeInt(0, 3)) {
            case 0:
                return in.consumeBytes(in.consumeInt(0, 1600));
            case 1:
                return Frames.udpFrame(GATEWAY_MAC, NatHarness.GUEST_MAC,
                        in.consumeBoolean() ? NatHarness.GUEST : 0, in.pickValue(new Integer[] {ADDRESSES[0],
                            ADDRESSES[1], ADDRESSES[2], ADDRESSES[3], ADDRESSES[4]}),
                        in.consumeBoolean() ? 68 : in.consumeInt(1, 65535), port(in),
                        in.consumeBytes(in.consumeInt(0, 1400)));
            default:
                return NatHarness.segment(in.consumeBoolean() ? NatHarness.REMOTE : ADDRESSES[0],
                        in.consumeInt(1024, 1040), port(in), in.consumeInt(), in.consumeBoolean()
                                ? NatHarness.ISN + in.consumeInt(0, 70_000) : in.consumeInt(), in.consumeInt(0, 63),
                        in.consumeInt(0, 65535), in.consumeInt(0, 1460), in.consumeInt(-1, 15),
                        in.consumeBytes(in.consumeInt(0, 1400)));
        }
    }

    private static int port(FuzzedDataProvider in) {
        return in.consumeBoolean() ? PORTS[in.consumeInt(0, PORTS.length - 1)] : in.consumeInt(1, 65535);
    }

    /** The host side of the NAT acts: connects finish or fail, data arrives, EOF, reset, sockets fill, time passes. */
    private static void host(FuzzedDataProvider in, NatHarness h) {
        if (!h.connects.isEmpty() && in.consumeBoolean()) {
            TcpFlow f = h.connects.get(in.consumeInt(0, h.connects.size() - 1));
            switch (in.consumeInt(0, 5)) {
                case 0 -> h.engine.hostConnected(f);
                case 1 -> h.engine.hostRefused(f);
                case 2 -> h.hostData(f, new byte[in.consumeInt(0, 70_000)]);
                case 3 -> h.engine.hostEof(f);
                case 4 -> h.engine.hostWritable(f);
                default -> h.engine.hostReset(f);
            }
        }
        h.socketRoom = in.consumeBoolean() ? in.consumeInt(0, 3000) : Integer.MAX_VALUE;
        if (in.consumeInt(0, 7) == 0) {
            h.advance(in.consumeInt(0, 200_000));
        }
        h.written.clear();
    }
}
