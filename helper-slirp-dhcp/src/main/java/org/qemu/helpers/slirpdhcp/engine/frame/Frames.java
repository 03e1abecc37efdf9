package org.qemu.helpers.slirpdhcp.engine.frame;

import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.MalformedException;
import org.qemu.helpers.slirpdhcp.engine.WireReader;

/** Ethernet II (IEEE 802.3), ARP (RFC 826), IPv4 (RFC 791), UDP (RFC 768) and ICMP echo (RFC 792) codecs. */
public final class Frames {
    public static final int ETH_HEADER = 14;
    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_ARP = 0x0806;
    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    public static final int MAX_FRAME = 65536 + ETH_HEADER;

    private Frames() {
    }

    public record Ethernet(Mac dst, Mac src, int type, WireReader payload) {
    }

    public record Arp(int op, Mac senderMac, int senderIp, Mac targetMac, int targetIp) {
    }

    /**
     * An IPv4 packet; {@code fragment} is true for any piece of a fragmented datagram. The payload is the checked
     * range {@code payloadOffset, payloadLength} of {@code packet} (the frame's array): no copy per frame.
     */
    /**
     * @param checksumDeferred the TCP or UDP checksum has not been computed yet: the guest's own kernel sent the
     *                         packet through a link that takes checksums off it (virtio-net's NEEDS_CSUM on a tap
     *                         with IFF_VNET_HDR), so there is nothing to verify; the field holds a partial sum
     */
    public record Ipv4(int src, int dst, int proto, int ttl, boolean fragment, byte[] packet, int payloadOffset,
                       int payloadLength, boolean checksumDeferred) {
        /** A copy of the payload. */
        public byte[] payload() {
            return java.util.Arrays.copyOfRange(packet, payloadOffset, payloadOffset + payloadLength);
        }
    }

    public record Udp(int srcPort, int dstPort, byte[] payload) {
    }

    public record IcmpEcho(int type, int code, int id, int seq, byte[] data) {
    }

    public static Ethernet ethernet(byte[] frame) throws MalformedException {
        if (frame.length > MAX_FRAME) {
            throw new MalformedException("frame of " + frame.length + " bytes");
        }
        WireReader r = new WireReader(frame);
        r.skip(12, "ethernet addresses"); // read in place below: no copy of the addresses per frame
        Mac dst = Mac.of(frame, 0);
        Mac src = Mac.of(frame, 6);
        int type = r.u16("ethertype");
        return new Ethernet(dst, src, type, r);
    }

    public static Arp arp(WireReader r) throws MalformedException {
        int htype = r.u16("arp htype");
        int ptype = r.u16("arp ptype");
        int hlen = r.u8("arp hlen");
        int plen = r.u8("arp plen");
        if (htype != 1 || ptype != TYPE_IPV4 || hlen != 6 || plen != 4) {
            throw new MalformedException("ARP for " + htype + "/" + ptype + " not Ethernet/IPv4");
        }
        int op = r.u16("arp op");
        Mac sha = Mac.of(r.bytes(6, "arp sha"), 0);
        int spa = r.u32("arp spa");
        Mac tha = Mac.of(r.bytes(6, "arp tha"), 0);
        int tpa = r.u32("arp tpa");
        return new Arp(op, sha, spa, tha, tpa);
    }

    /** Parses an IPv4 packet, verifying its header checksum (RFC 791 3.1); trailing Ethernet padding is ignored. */
    public static Ipv4 ipv4(WireReader r) throws MalformedException {
        return ipv4(r, false);
    }

    /** As {@link #ipv4(WireReader)}; {@code checksumDeferred} as the front end learnt it (see {@link Ipv4}). */
    public static Ipv4 ipv4(WireReader r, boolean checksumDeferred) throws MalformedException {
        int avail = r.remaining();
        byte[] h = r.array(); // the header is read in place (h0 its first byte), each range checked by r first
        int h0 = r.position();
        r.skip(20, "IPv4 header");
        if (((h[h0] & 0xff) >>> 4) != 4) {
            throw new MalformedException("IP version " + ((h[h0] & 0xff) >>> 4));
        }
        int ihl = (h[h0] & 0xf) * 4;
        if (ihl < 20) {
            throw new MalformedException("IP header length " + ihl);
        }
        int total = ((h[h0 + 2] & 0xff) << 8) | (h[h0 + 3] & 0xff);
        if (total < ihl || total > avail) {
            throw new MalformedException("IP total length " + total + " with " + avail + " bytes");
        }
        r.skip(ihl - 20, "IP options");
        if (Checksum.sum(h, h0, ihl, 0) != 0xffff) {
            throw new MalformedException("bad IPv4 header checksum");
        }
        int frag = ((h[h0 + 6] & 0xff) << 8) | (h[h0 + 7] & 0xff);
        int payloadOffset = r.position();
        r.skip(total - ihl, "IP payload");
        boolean fragment = (frag & 0x2000) != 0 || (frag & 0x1fff) != 0;
        return new Ipv4(Ip4.of(h, h0 + 12), Ip4.of(h, h0 + 16), h[h0 + 9] & 0xff, h[h0 + 8] & 0xff, fragment, h,
                payloadOffset, total - ihl, checksumDeferred);
    }

    public static Udp udp(Ipv4 ip) throws MalformedException {
        WireReader r = new WireReader(ip.packet(), ip.payloadOffset(), ip.payloadLength());
        int sport = r.u16("udp src port");
        int dport = r.u16("udp dst port");
        int len = r.u16("udp length");
        int csum = r.u16("udp checksum");
        if (len < 8 || len > ip.payloadLength()) {
            throw new MalformedException("UDP length " + len + " with " + ip.payloadLength() + " bytes");
        }
        if (csum != 0 && !ip.checksumDeferred()) {
            int s = Checksum.pseudo(ip.src(), ip.dst(), PROTO_UDP, len);
            if (Checksum.sum(ip.packet(), ip.payloadOffset(), len, s) != 0xffff) {
                throw new MalformedException("bad UDP checksum");
            }
        }
        byte[] data = new byte[len - 8];
        System.arraycopy(ip.packet(), ip.payloadOffset() + 8, data, 0, data.length);
        return new Udp(sport, dport, data);
    }

    public static IcmpEcho icmp(Ipv4 ip) throws MalformedException {
        byte[] p = ip.payload();
        if (Checksum.sum(p, 0, p.length, 0) != 0xffff) {
            throw new MalformedException("bad ICMP checksum");
        }
        WireReader r = new WireReader(p);
        int type = r.u8("icmp type");
        int code = r.u8("icmp code");
        r.u16("icmp checksum");
        int id = r.u16("icmp id");
        int seq = r.u16("icmp seq");
        return new IcmpEcho(type, code, id, seq, r.rest());
    }

    // ---- builders ----

    private static int ipId;

    private static int nextIpId() {
        synchronized (Frames.class) {
            return ++ipId & 0xffff;
        }
    }

    /**
     * Turns the ICMP echo request {@code ip} of {@code frame} into its reply in the same array, with no copy and no
     * allocation (RFC 792: identifier, sequence number and data returned unchanged, type 0, source and destination
     * swapped; the checksum updated for the changed type word as RFC 1624 3 eqn. 3 does, HC' = ~(~HC + ~m + m')).
     * The IP header is rewritten as {@link #ipv4Packet} writes one (TTL 64, a fresh identification), the Ethernet
     * header goes back to {@code frame}'s sender from {@code from}. Returns false, leaving {@code frame} as it was,
     * when the request is not a plain one this can answer in place: IP options (RFC 1122 3.2.2.6 has them
     * reflected, which the general path does not either), Ethernet padding after the datagram, not type 8 code 0,
     * a bad ICMP checksum or a short message; the caller then answers or drops it through {@link #icmp}.
     */
    public static boolean echoReplyInPlace(byte[] frame, Ipv4 ip, Mac from) {
        int l3 = ETH_HEADER;
        int l4 = l3 + 20;
        int len = ip.payloadLength();
        if (ip.packet() != frame || ip.payloadOffset() != l4 || (frame[l3] & 0xff) != 0x45 || len < 8
                || frame.length != l4 + len || frame[l4] != 8 || frame[l4 + 1] != 0
                || Checksum.sum(frame, l4, len, 0) != 0xffff) {
            return false;
        }
        System.arraycopy(frame, 6, frame, 0, 6); // to the request's sender
        long mac = from.bits();
        for (int i = 0; i < 6; i++) {
            frame[6 + i] = (byte) (mac >>> (40 - 8 * i));
        }
        int src = ip.src();
        java.util.Arrays.fill(frame, l3, l4, (byte) 0);
        frame[l3] = 0x45;
        frame[l3 + 2] = (byte) ((20 + len) >>> 8);
        frame[l3 + 3] = (byte) (20 + len);
        int id = nextIpId();
        frame[l3 + 4] = (byte) (id >>> 8);
        frame[l3 + 5] = (byte) id;
        frame[l3 + 8] = 64;
        frame[l3 + 9] = (byte) PROTO_ICMP;
        put32(frame, l3 + 12, ip.dst());
        put32(frame, l3 + 16, src);
        int c = Checksum.ipHeader(frame, l3, 20);
        frame[l3 + 10] = (byte) (c >>> 8);
        frame[l3 + 11] = (byte) c;
        int hc = ((frame[l4 + 2] & 0xff) << 8) | (frame[l4 + 3] & 0xff);
        long s = (~hc & 0xffff) + (~0x0800 & 0xffff); // m = type 8 code 0, m' = type 0 code 0 adds nothing
        s = (s & 0xffff) + (s >>> 16);
        s = (s & 0xffff) + (s >>> 16);
        int nhc = ~(int) s & 0xffff;
        frame[l4] = 0;
        frame[l4 + 2] = (byte) (nhc >>> 8);
        frame[l4 + 3] = (byte) nhc;
        return true;
    }

    /** Writes {@code v} big-endian (network order, RFC 791 3.1) at {@code off}. */
    public static void put32(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    public static byte[] ethernetFrame(Mac dst, Mac src, int type, byte[] payload) {
        byte[] f = new byte[ETH_HEADER + payload.length];
        System.arraycopy(dst.bytes(), 0, f, 0, 6);
        System.arraycopy(src.bytes(), 0, f, 6, 6);
        f[12] = (byte) (type >>> 8);
        f[13] = (byte) type;
        System.arraycopy(payload, 0, f, ETH_HEADER, payload.length);
        return f;
    }

    public static byte[] arpPacket(int op, Mac sha, int spa, Mac tha, int tpa) {
        byte[] a = new byte[28];
        a[1] = 1;
        a[2] = 0x08;
        a[4] = 6;
        a[5] = 4;
        a[7] = (byte) op;
        System.arraycopy(sha.bytes(), 0, a, 8, 6);
        System.arraycopy(Ip4.bytes(spa), 0, a, 14, 4);
        System.arraycopy(tha.bytes(), 0, a, 18, 6);
        System.arraycopy(Ip4.bytes(tpa), 0, a, 24, 4);
        return a;
    }

    public static byte[] ipv4Packet(int src, int dst, int proto, byte[] payload) {
        byte[] p = new byte[20 + payload.length];
        p[0] = 0x45;
        int total = p.length;
        p[2] = (byte) (total >>> 8);
        p[3] = (byte) total;
        int id = nextIpId();
        p[4] = (byte) (id >>> 8);
        p[5] = (byte) id;
        p[8] = 64;
        p[9] = (byte) proto;
        System.arraycopy(Ip4.bytes(src), 0, p, 12, 4);
        System.arraycopy(Ip4.bytes(dst), 0, p, 16, 4);
        int c = Checksum.ipHeader(p, 0, 20);
        p[10] = (byte) (c >>> 8);
        p[11] = (byte) c;
        System.arraycopy(payload, 0, p, 20, payload.length);
        return p;
    }

    public static byte[] udpDatagram(int src, int dst, int sport, int dport, byte[] data) {
        byte[] u = new byte[8 + data.length];
        u[0] = (byte) (sport >>> 8);
        u[1] = (byte) sport;
        u[2] = (byte) (dport >>> 8);
        u[3] = (byte) dport;
        u[4] = (byte) (u.length >>> 8);
        u[5] = (byte) u.length;
        System.arraycopy(data, 0, u, 8, data.length);
        int c = Checksum.finish(Checksum.sum(u, 0, u.length, Checksum.pseudo(src, dst, PROTO_UDP, u.length)));
        if (c == 0) {
            c = 0xffff; // RFC 768: a computed zero is sent as all ones
        }
        u[6] = (byte) (c >>> 8);
        u[7] = (byte) c;
        return u;
    }

    public static byte[] udpFrame(Mac dstMac, Mac srcMac, int srcIp, int dstIp, int sport, int dport, byte[] data) {
        return ethernetFrame(dstMac, srcMac, TYPE_IPV4,
                ipv4Packet(srcIp, dstIp, PROTO_UDP, udpDatagram(srcIp, dstIp, sport, dport, data)));
    }

    public static byte[] icmpEcho(int type, int id, int seq, byte[] data) {
        byte[] p = new byte[8 + data.length];
        p[0] = (byte) type;
        p[4] = (byte) (id >>> 8);
        p[5] = (byte) id;
        p[6] = (byte) (seq >>> 8);
        p[7] = (byte) seq;
        System.arraycopy(data, 0, p, 8, data.length);
        int c = Checksum.finish(Checksum.sum(p, 0, p.length, 0));
        p[2] = (byte) (c >>> 8);
        p[3] = (byte) c;
        return p;
    }
}
