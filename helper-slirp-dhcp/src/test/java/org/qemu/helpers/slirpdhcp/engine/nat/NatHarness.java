package org.qemu.helpers.slirpdhcp.engine.nat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.MalformedException;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.WireReader;
import org.qemu.helpers.slirpdhcp.engine.frame.Checksum;
import org.qemu.helpers.slirpdhcp.engine.frame.Frames;

/**
 * A NatEngine with a manual clock, the frames it sends to the guest parsed back (their checksums verified), and
 * a recording host side whose sockets take as many bytes as the test allows. No sockets, no threads.
 */
final class NatHarness implements HostSide {
    static final Mac GUEST_MAC = Mac.parse("52:54:00:12:34:56");
    static final int GUEST = Ip4.parse("10.0.2.15");
    static final int GW = Ip4.parse("10.0.2.2");
    static final int REMOTE = Ip4.parse("192.0.2.80");
    static final int ISN = 0x1000_0000;

    final Statistics stats = new Statistics();
    long now = 1_000_000;
    final List<byte[]> toGuest = new ArrayList<>();
    final NatEngine engine;
    final List<TcpFlow> connects = new ArrayList<>();
    final Map<TcpFlow, ByteArrayRecorder> written = new HashMap<>();
    final List<TcpFlow> closedReset = new ArrayList<>();
    final List<TcpFlow> closed = new ArrayList<>();
    final List<TcpFlow> shutdowns = new ArrayList<>();
    /** How many more bytes the host socket takes (Integer.MAX_VALUE: all). */
    int socketRoom = Integer.MAX_VALUE;
    /** Whether tcpConnect reports the socket connected at once (as a loopback connect often is). */
    boolean connectsAtOnce;
    /** Calls of tcpWrite (syscalls, for a real socket). */
    int writes;
    boolean readInterest;
    boolean writeInterest;
    int connectIp;
    int connectPort;
    final List<byte[]> udpSent = new ArrayList<>();
    /** Whether the attached sink segments and checksums TCP itself (a tap with virtio-net offloads). */
    boolean segmenting;
    /** The MSS of each frame the engine gave the segmenting sink. */
    final List<Integer> segmentMss = new ArrayList<>();
    private final java.util.function.Consumer<byte[]> plainSink = f -> toGuest.add(f.clone());
    private final org.qemu.helpers.slirpdhcp.engine.frame.SegmentingSink segmentingSink =
            new org.qemu.helpers.slirpdhcp.engine.frame.SegmentingSink() {
                @Override
                public void accept(byte[] f) {
                    toGuest.add(f.clone());
                }

                @Override
                public void acceptSegments(byte[] frame, int mss) {
                    byte[] f = frame.clone();
                    int t = Frames.ETH_HEADER + 20;
                    int len = f.length - t;
                    int src = ByteBuffer.wrap(f).getInt(Frames.ETH_HEADER + 12);
                    int dst = ByteBuffer.wrap(f).getInt(Frames.ETH_HEADER + 16);
                    int pseudo = Checksum.pseudo(src, dst, Frames.PROTO_TCP, len);
                    int field = ((f[t + 16] & 0xff) << 8) | (f[t + 17] & 0xff);
                    if (field != Checksum.sum(f, 0, 0, pseudo)) {
                        throw new AssertionError("a segmenting sink expects the pseudo-header sum, got " + field);
                    }
                    f[t + 16] = 0;
                    f[t + 17] = 0;
                    int c = Checksum.finish(Checksum.sum(f, t, len, pseudo)); // what the kernel completes
                    f[t + 16] = (byte) (c >>> 8);
                    f[t + 17] = (byte) c;
                    segmentMss.add(mss);
                    toGuest.add(f);
                }

                @Override
                public int maxPayload() {
                    return 65535 - 40;
                }
            };
    final List<UdpFlow> udpOpened = new ArrayList<>();

    static final class ByteArrayRecorder {
        final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    }

    NatHarness(NatPolicy policy) {
        this(policy, 1500);
    }

    NatHarness(NatPolicy policy, int mtu) {
        NetworkConfig net = NetworkConfig.slirpDefaults("vm.internal").withMtu(mtu);
        engine = new NatEngine(net, policy, stats, () -> now, () -> ISN, () -> segmenting ? segmentingSink : plainSink,
                ip -> ip == GUEST ? GUEST_MAC : null, () -> GUEST);
        engine.host(this);
    }

    /** A guest TCP segment from GUEST:gport to dst:dport, as a Linux guest would build it. */
    static byte[] segment(int dst, int gport, int dport, int seq, int ack, int flags, int window, int mss, int ws,
                          byte[] data) {
        int opts = (mss > 0 ? 4 : 0) + (ws >= 0 ? 4 : 0);
        byte[] t = new byte[20 + opts + data.length];
        t[0] = (byte) (gport >>> 8);
        t[1] = (byte) gport;
        t[2] = (byte) (dport >>> 8);
        t[3] = (byte) dport;
        ByteBuffer.wrap(t).putInt(4, seq).putInt(8, ack);
        t[12] = (byte) (((20 + opts) / 4) << 4);
        t[13] = (byte) flags;
        t[14] = (byte) (window >>> 8);
        t[15] = (byte) window;
        int o = 20;
        if (mss > 0) {
            t[o] = 2;
            t[o + 1] = 4;
            t[o + 2] = (byte) (mss >>> 8);
            t[o + 3] = (byte) mss;
            o += 4;
        }
        if (ws >= 0) {
            t[o] = 1;
            t[o + 1] = 3;
            t[o + 2] = 3;
            t[o + 3] = (byte) ws;
            o += 4;
        }
        System.arraycopy(data, 0, t, o, data.length);
        int c = Checksum.finish(Checksum.sum(t, 0, t.length, Checksum.pseudo(GUEST, dst, Frames.PROTO_TCP, t.length)));
        t[16] = (byte) (c >>> 8);
        t[17] = (byte) c;
        return Frames.ethernetFrame(Mac.parse("52:55:0a:00:02:02"), GUEST_MAC, Frames.TYPE_IPV4,
                Frames.ipv4Packet(GUEST, dst, Frames.PROTO_TCP, t));
    }

    void send(byte[] frame) throws MalformedException {
        send(frame, false);
    }

    /** {@code checksumDeferred}: as a tap with virtio-net offloads delivers a frame whose checksum is not computed. */
    void send(byte[] frame, boolean checksumDeferred) throws MalformedException {
        Frames.Ethernet e = Frames.ethernet(frame);
        engine.fromGuest(e.src(), Frames.ipv4(e.payload(), checksumDeferred));
    }

    /** A segment the engine sent to the guest, parsed and checksum-verified, with its IPv4 header. */
    record Out(Frames.Ipv4 ip, TcpSegment tcp) {
        byte[] data() {
            return java.util.Arrays.copyOfRange(tcp.data(), tcp.dataOffset(), tcp.dataOffset() + tcp.dataLength());
        }
    }

    List<Out> drain() throws MalformedException {
        List<Out> out = new ArrayList<>();
        for (byte[] f : toGuest) {
            Frames.Ethernet e = Frames.ethernet(f);
            if (!e.dst().equals(GUEST_MAC)) {
                throw new AssertionError("frame to " + e.dst());
            }
            Frames.Ipv4 ip = Frames.ipv4(new WireReader(f, 14, f.length - 14));
            out.add(new Out(ip, TcpSegment.parse(ip)));
        }
        toGuest.clear();
        return out;
    }

    void advance(long ms) {
        now += ms;
        engine.tick();
    }

    // ---- HostSide ----

    @Override
    public boolean tcpConnect(TcpFlow flow, int ip, int port) {
        connects.add(flow);
        connectIp = ip;
        connectPort = port;
        return connectsAtOnce;
    }

    @Override
    public long tcpWrite(TcpFlow flow, ByteBuffer[] data) {
        writes++;
        long n = 0;
        ByteArrayRecorder r = written.computeIfAbsent(flow, k -> new ByteArrayRecorder());
        for (ByteBuffer b : data) {
            int take = (int) Math.min(b.remaining(), socketRoom - n);
            r.bytes.write(b.array(), b.arrayOffset() + b.position(), take);
            b.position(b.position() + take);
            n += take;
        }
        if (socketRoom != Integer.MAX_VALUE) {
            socketRoom -= (int) n;
        }
        return n;
    }

    @Override
    public void tcpInterest(TcpFlow flow, boolean read, boolean write) {
        readInterest = read;
        writeInterest = write;
    }

    @Override
    public void tcpShutdownOutput(TcpFlow flow) {
        shutdowns.add(flow);
    }

    @Override
    public void tcpClose(TcpFlow flow, boolean reset) {
        (reset ? closedReset : closed).add(flow);
    }

    @Override
    public boolean udpOpen(UdpFlow flow, int ip, int port) {
        udpOpened.add(flow);
        return true;
    }

    @Override
    public boolean udpSend(UdpFlow flow, byte[] data, int off, int len) {
        udpSent.add(java.util.Arrays.copyOfRange(data, off, off + len));
        return true;
    }

    @Override
    public void udpClose(UdpFlow flow) {
    }

    /** Feeds {@code data} as host bytes read from the flow's socket (as much as the flow has room for). */
    int hostData(TcpFlow f, byte[] data) {
        int room = engine.hostReadRoom(f);
        int n = Math.min(room, data.length);
        int done = 0;
        for (ByteBuffer b : engine.hostReadViews(f)) {
            int k = Math.min(b.remaining(), n - done);
            b.put(data, done, k);
            done += k;
            if (done == n) {
                break;
            }
        }
        engine.hostRead(f, n);
        return n;
    }
}
