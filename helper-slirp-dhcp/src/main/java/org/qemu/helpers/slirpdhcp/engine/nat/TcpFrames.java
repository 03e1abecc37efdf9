package org.qemu.helpers.slirpdhcp.engine.nat;

import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.frame.Checksum;
import org.qemu.helpers.slirpdhcp.engine.frame.FrameArrays;
import org.qemu.helpers.slirpdhcp.engine.frame.Frames;

/** Builds whole Ethernet/IPv4/TCP frames toward the guest in one array (one allocation, no copies between layers). */
final class TcpFrames {
    static final int HEADERS = Frames.ETH_HEADER + 20 + 20;

    private TcpFrames() {
    }

    /**
     * A frame carrying {@code len} bytes that {@code payload} writes at the given offset.
     *
     * @param arrays where the frame's array comes from (the previous frame of this length is sent and gone)
     * @param mss the MSS option to carry (SYN only), 0 for none
     * @param windowScale the window scale option to carry (SYN only), -1 for none
     */
    static byte[] frame(FrameArrays arrays, Mac dstMac, Mac srcMac, int srcIp, int dstIp, int srcPort, int dstPort,
                        int seq, int ack, int flags, int window, int mss, int windowScale, ByteRing payload,
                        int payloadOffset, int len) {
        return frame(arrays, dstMac, srcMac, srcIp, dstIp, srcPort, dstPort, seq, ack, flags, window, mss,
                windowScale, payload, payloadOffset, len, false);
    }

    /**
     * As above; {@code checksumByLink}: the TCP checksum field gets only the folded pseudo-header sum, for a link
     * that completes it (see {@link org.qemu.helpers.slirpdhcp.engine.frame.SegmentingSink}).
     */
    static byte[] frame(FrameArrays arrays, Mac dstMac, Mac srcMac, int srcIp, int dstIp, int srcPort, int dstPort,
                        int seq, int ack, int flags, int window, int mss, int windowScale, ByteRing payload,
                        int payloadOffset, int len, boolean checksumByLink) {
        int opts = (mss > 0 ? 4 : 0) + (windowScale >= 0 ? 4 : 0);
        int tcpLen = 20 + opts + len;
        byte[] f = arrays.get(Frames.ETH_HEADER + 20 + tcpLen);
        java.util.Arrays.fill(f, 0, Frames.ETH_HEADER + 40 + opts, (byte) 0); // a reused array: headers from zero
        putMac(f, 0, dstMac.bits()); // not Mac.bytes(): no array per frame
        putMac(f, 6, srcMac.bits());
        f[12] = 0x08;
        int ip = Frames.ETH_HEADER;
        f[ip] = 0x45;
        put16(f, ip + 2, 20 + tcpLen);
        f[ip + 6] = 0x40; // RFC 791: don't fragment; the guest's path MTU is the link's
        f[ip + 8] = 64;
        f[ip + 9] = (byte) Frames.PROTO_TCP;
        put32(f, ip + 12, srcIp);
        put32(f, ip + 16, dstIp);
        put16(f, ip + 10, Checksum.ipHeader(f, ip, 20));
        int t = ip + 20;
        put16(f, t, srcPort);
        put16(f, t + 2, dstPort);
        put32(f, t + 4, seq);
        put32(f, t + 8, ack);
        f[t + 12] = (byte) (((20 + opts) / 4) << 4);
        f[t + 13] = (byte) flags;
        put16(f, t + 14, window);
        int o = t + 20;
        if (mss > 0) {
            f[o] = 2;
            f[o + 1] = 4;
            put16(f, o + 2, mss);
            o += 4;
        }
        if (windowScale >= 0) {
            f[o] = 1; // no-op, so the option ends on a 4-byte boundary
            f[o + 1] = 3;
            f[o + 2] = 3;
            f[o + 3] = (byte) windowScale;
            o += 4;
        }
        if (len > 0) {
            payload.copy(payloadOffset, f, o, len);
        }
        int pseudo = Checksum.pseudo(srcIp, dstIp, Frames.PROTO_TCP, tcpLen);
        if (checksumByLink) {
            put16(f, t + 16, Checksum.sum(f, 0, 0, pseudo)); // the folded pseudo-header sum, as Linux leaves it
        } else {
            put16(f, t + 16, Checksum.finish(Checksum.sum(f, t, tcpLen, pseudo)));
        }
        return f;
    }

    private static void putMac(byte[] b, int i, long mac) {
        for (int k = 0; k < 6; k++) {
            b[i + k] = (byte) (mac >>> (40 - 8 * k));
        }
    }

    static void put16(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }

    static void put32(byte[] b, int i, int v) {
        Frames.put32(b, i, v);
    }
}
