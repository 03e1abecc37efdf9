package org.qemu.helpers.slirpdhcp.engine.frame;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.qemu.helpers.slirpdhcp.engine.DhcpCodec;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessage;
import org.qemu.helpers.slirpdhcp.engine.DhcpReply;
import org.qemu.helpers.slirpdhcp.engine.DhcpEndpoint;
import org.qemu.helpers.slirpdhcp.engine.DnsResolver;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.MalformedException;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.common.log.EventLog;

/**
 * The guest's side of the virtual link: Ethernet frames in, frames out. Answers ARP for the gateway and DNS
 * addresses, ICMP echo to them, DHCP and DNS in IPv4/UDP; drops and counts everything else. No sockets: the
 * transport passes frames in and a thread-safe sink for frames out.
 */
public final class GuestLink implements GuestPort {
    public static final int DHCP_SERVER_PORT = 67;
    public static final int DHCP_CLIENT_PORT = 68;
    public static final int DNS_PORT = 53;

    private final NetworkConfig cfg;
    private final DhcpEndpoint dhcp;
    private final DnsResolver dns;
    private final Statistics stats;
    private final EventLog log;
    private volatile OffLinkTraffic nat;
    private final Mac gatewayMac;
    private final Mac dnsMac;
    private final LongAdder framesIn; // per frame: resolved once (Statistics#counter)
    private final LongAdder echoReplies;

    public GuestLink(NetworkConfig cfg, DhcpEndpoint dhcp, DnsResolver dns, Statistics stats, EventLog log) {
        this.cfg = cfg;
        this.dhcp = dhcp;
        this.dns = dns;
        this.stats = stats;
        this.log = log;
        this.gatewayMac = virtualMac(cfg.gateway());
        this.dnsMac = virtualMac(cfg.dns());
        this.framesIn = stats.counter("frames_in");
        this.echoReplies = stats.counter("icmp_echo_replies");
    }

    /** Hands the guest's TCP and UDP to other addresses to {@code nat}; without one they are dropped and counted. */
    public void nat(OffLinkTraffic nat) {
        this.nat = nat;
    }

    /** The MAC the link answers with for a virtual address, as libslirp does: 52:55 followed by the address. */
    public static Mac virtualMac(int ip) {
        return new Mac(0x5255_0000_0000L | Integer.toUnsignedLong(ip));
    }

    private volatile Consumer<byte[]> attached;

    @Override
    public void attach(Consumer<byte[]> toGuest) {
        attached = toGuest;
    }

    @Override
    public void detach(Consumer<byte[]> toGuest) {
        if (attached == toGuest) {
            attached = null;
        }
    }

    /** The sink frames the link originates go to, or null while no guest is attached. */
    public Consumer<byte[]> attached() {
        return attached;
    }

    @Override
    public void receive(byte[] frame, Consumer<byte[]> replyTo) {
        handle(frame, replyTo);
    }

    /** A burst ends here after this many frames even if the front end has more (bounds what is held back). */
    static final int MAX_BURST = 64;
    private int burstFrames; // front end thread only
    private OffLinkTraffic burstNat; // the engine told about this burst, if any

    @Override
    public void receiveInBurst(byte[] frame, Consumer<byte[]> replyTo) {
        receiveInBurst(frame, replyTo, false);
    }

    @Override
    public void receiveInBurst(byte[] frame, Consumer<byte[]> replyTo, boolean checksumDeferred) {
        if (burstFrames++ == 0) {
            FrameBatch.begin(); // replies of the burst go out together where the sink can (a stream socket)
            burstNat = nat;
            if (burstNat != null) {
                burstNat.beginBurst();
            }
        }
        handle(frame, replyTo, checksumDeferred);
        if (burstFrames >= MAX_BURST) {
            burstEnd();
        }
    }

    @Override
    public void burstEnd() {
        if (burstFrames == 0) {
            return;
        }
        burstFrames = 0;
        try {
            if (burstNat != null) {
                burstNat.endBurst();
            }
        } finally {
            burstNat = null;
            FrameBatch.end();
        }
    }

    /** Handles one frame from the guest; never throws for bad input (dropped and counted). */
    public void handle(byte[] frame, Consumer<byte[]> out) {
        handle(frame, out, false);
    }

    private void handle(byte[] frame, Consumer<byte[]> out, boolean checksumDeferred) {
        framesIn.increment();
        try {
            Frames.Ethernet eth = Frames.ethernet(frame);
            switch (eth.type()) {
                case Frames.TYPE_ARP -> arp(eth, out);
                case Frames.TYPE_IPV4 -> ipv4(eth, out, checksumDeferred);
                default -> stats.inc(Statistics.DROPPED_OTHER);
            }
        } catch (MalformedException e) {
            stats.inc(Statistics.DROPPED_MALFORMED);
        } catch (RuntimeException e) {
            // A bug, not bad input: keep serving, keep the stack trace.
            stats.inc(Statistics.DROPPED_MALFORMED);
            log.error("frame_error", "error", e);
        }
    }

    private boolean isVirtual(int ip) {
        return ip == cfg.gateway() || ip == cfg.dns();
    }

    // RFC 826: answer requests for our addresses only.
    private void arp(Frames.Ethernet eth, Consumer<byte[]> out) throws MalformedException {
        Frames.Arp a = Frames.arp(eth.payload());
        stats.inc("arp_in");
        if (a.op() != 1 || !isVirtual(a.targetIp()) || a.senderMac().isMulticast()) {
            stats.inc(Statistics.DROPPED_OTHER);
            return;
        }
        Mac mine = virtualMac(a.targetIp());
        byte[] reply = Frames.arpPacket(2, mine, a.targetIp(), a.senderMac(), a.senderIp());
        out.accept(Frames.ethernetFrame(a.senderMac(), mine, Frames.TYPE_ARP, reply));
        stats.inc("arp_replies");
    }

    private void ipv4(Frames.Ethernet eth, Consumer<byte[]> out, boolean checksumDeferred)
            throws MalformedException {
        Frames.Ipv4 ip = Frames.ipv4(eth.payload(), checksumDeferred);
        if (ip.fragment()) {
            stats.inc(Statistics.DROPPED_OTHER);
            return;
        }
        if (ip.proto() == Frames.PROTO_UDP) {
            Frames.Udp udp = Frames.udp(ip);
            if (udp.dstPort() == DHCP_SERVER_PORT && (ip.dst() == -1 || ip.dst() == cfg.gateway())) {
                dhcp(eth, udp, out);
                return;
            }
            if (udp.dstPort() == DNS_PORT && ip.dst() == cfg.dns()) {
                dnsQuery(eth, ip, udp, out);
                return;
            }
            OffLinkTraffic n = nat;
            if (n == null) {
                stats.inc(Statistics.DROPPED_OTHER);
            } else {
                n.fromGuest(eth.src(), ip, udp); // parsed once, here
            }
        } else if (ip.proto() == Frames.PROTO_TCP) {
            toNat(eth, ip);
        } else if (ip.proto() == Frames.PROTO_ICMP && isVirtual(ip.dst())) {
            if (Frames.echoReplyInPlace(eth.payload().array(), ip, ip.dst() == cfg.gateway() ? gatewayMac : dnsMac)) {
                out.accept(eth.payload().array()); // the request became its reply: no copy (sinks copy it out)
                echoReplies.increment();
                return;
            }
            Frames.IcmpEcho echo = Frames.icmp(ip);
            if (echo.type() != 8 || echo.code() != 0) {
                stats.inc(Statistics.DROPPED_OTHER);
                return;
            }
            byte[] icmp = Frames.icmpEcho(0, echo.id(), echo.seq(), echo.data());
            out.accept(Frames.ethernetFrame(eth.src(), virtualMac(ip.dst()), Frames.TYPE_IPV4,
                    Frames.ipv4Packet(ip.dst(), ip.src(), Frames.PROTO_ICMP, icmp)));
            echoReplies.increment();
        } else {
            stats.inc(Statistics.DROPPED_OTHER);
        }
    }

    private void toNat(Frames.Ethernet eth, Frames.Ipv4 ip) {
        OffLinkTraffic n = nat;
        if (n == null) {
            stats.inc(Statistics.DROPPED_OTHER);
        } else {
            n.fromGuest(eth.src(), ip);
        }
    }

    private void dhcp(Frames.Ethernet eth, Frames.Udp udp, Consumer<byte[]> out) throws MalformedException {
        DhcpMessage m = DhcpCodec.decode(udp.payload());
        java.util.Optional<DhcpReply> reply = dhcp.serve(m);
        if (reply.isEmpty()) {
            return;
        }
        DhcpReply r = reply.get();
        byte[] payload = r.encode();
        Mac srcMac = virtualMac(cfg.gateway());
        int dstIp;
        Mac dstMac;
        int dstPort = DHCP_CLIENT_PORT;
        switch (r.delivery()) {
            case BROADCAST -> {
                dstIp = -1;
                dstMac = Mac.BROADCAST;
            }
            case RELAY -> {
                dstIp = r.destIp();
                dstMac = eth.src();
                dstPort = DHCP_SERVER_PORT;
            }
            case CIADDR -> {
                dstIp = r.destIp();
                dstMac = eth.src();
            }
            default -> {
                dstIp = r.destIp();
                dstMac = r.destMac();
            }
        }
        out.accept(Frames.udpFrame(dstMac, srcMac, cfg.gateway(), dstIp, DHCP_SERVER_PORT, dstPort, payload));
    }

    private void dnsQuery(Frames.Ethernet eth, Frames.Ipv4 ip, Frames.Udp udp, Consumer<byte[]> out) {
        int limit = (cfg.mtu() == 0 ? 1500 : cfg.mtu()) - 28;
        DnsResolver.Result res = dns.handle(udp.payload(), limit);
        Mac src = virtualMac(cfg.dns());
        if (res instanceof DnsResolver.Reply reply) {
            out.accept(Frames.udpFrame(eth.src(), src, cfg.dns(), ip.src(), DNS_PORT, udp.srcPort(), reply.wire()));
        } else if (res instanceof DnsResolver.Forward fwd) {
            // sent when the upstream answers, from the thread that completes the stage (out is thread-safe)
            dns.forward(fwd).thenAccept(wire ->
                    out.accept(Frames.udpFrame(eth.src(), src, cfg.dns(), ip.src(), DNS_PORT, udp.srcPort(), wire)));
        }
    }
}
