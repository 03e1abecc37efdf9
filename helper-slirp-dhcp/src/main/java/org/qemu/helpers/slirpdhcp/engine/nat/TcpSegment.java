package org.qemu.helpers.slirpdhcp.engine.nat;

import org.qemu.helpers.slirpdhcp.engine.MalformedException;
import org.qemu.helpers.slirpdhcp.engine.frame.Checksum;
import org.qemu.helpers.slirpdhcp.engine.frame.Frames;

/**
 * One TCP segment from the guest (RFC 9293 3.1), its checksum verified. The payload is a range of the frame's
 * array, not a copy: guest data goes to the host socket (or the flow's ring) straight from it.
 *
 * @param mss the MSS option (RFC 9293 3.7.1), 0 when absent
 * @param windowScale the window scale shift (RFC 7323 2.2), -1 when absent
 */
public record TcpSegment(int srcPort, int dstPort, int seq, int ack, int flags, int window, int mss, int windowScale,
                         byte[] data, int dataOffset, int dataLength) {
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** Sequence space the segment occupies: data plus one each for SYN and FIN (RFC 9293 3.4). */
    public int seqLength() {
        return dataLength + (has(SYN) ? 1 : 0) + (has(FIN) ? 1 : 0);
    }

    /** Parses the TCP segment in {@code ip}'s payload; a bad checksum, offset or option length is malformed. */
    public static TcpSegment parse(Frames.Ipv4 ip) throws MalformedException {
        byte[] p = ip.packet();
        int base = ip.payloadOffset();
        int length = ip.payloadLength();
        if (length < 20) {
            throw new MalformedException("TCP segment of " + length + " bytes");
        }
        int s = Checksum.pseudo(ip.src(), ip.dst(), Frames.PROTO_TCP, length);
        if (!ip.checksumDeferred() && Checksum.sum(p, base, length, s) != 0xffff) {
            throw new MalformedException("bad TCP checksum");
        }
        int off = ((p[base + 12] & 0xff) >>> 4) * 4;
        if (off < 20 || off > length) {
            throw new MalformedException("TCP data offset " + off + " with " + length + " bytes");
        }
        int mss = 0;
        int ws = -1;
        // RFC 9293 3.1: options are kind, or kind-length-value; end-of-list (0) stops, no-op (1) is one byte.
        for (int i = 20; i < off; ) {
            int kind = p[base + i] & 0xff;
            if (kind == 0) {
                break;
            }
            if (kind == 1) {
                i++;
                continue;
            }
            if (i + 1 >= off) {
                throw new MalformedException("TCP option " + kind + " without length");
            }
            int len = p[base + i + 1] & 0xff;
            if (len < 2 || i + len > off) {
                throw new MalformedException("TCP option " + kind + " of length " + len);
            }
            if (kind == 2 && len == 4) {
                mss = u16(p, base + i + 2);
            } else if (kind == 3 && len == 3) {
                ws = Math.min(p[base + i + 2] & 0xff, 14); // RFC 7323 2.3: a shift above 14 is used as 14
            }
            i += len;
        }
        return new TcpSegment(u16(p, base), u16(p, base + 2), u32(p, base + 4), u32(p, base + 8),
                p[base + 13] & 0x3f, u16(p, base + 14), mss, ws, p, base + off, length - off);
    }

    static int u16(byte[] b, int i) {
        return ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
    }

    static int u32(byte[] b, int i) {
        return (u16(b, i) << 16) | u16(b, i + 2);
    }
}
