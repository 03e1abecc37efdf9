package org.qemu.helpers.slirpdhcp.transport;

import org.qemu.helpers.common.log.EventLog;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.frame.FrameArrays;
import org.qemu.helpers.slirpdhcp.engine.frame.Frames;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestPort;
import org.qemu.helpers.slirpdhcp.engine.frame.SegmentingSink;

/**
 * A descriptor on which every read is one Ethernet frame and every write sends one: an inherited SOCK_DGRAM
 * socket ({@code -netdev socket,fd=}, libvirt's socketpair), QEMU's {@code -netdev dgram} Unix socket, a tap
 * device, read on the event loop's thread; the guest is attached for the descriptor's whole life, since a datagram socket has no
 * connection to lose (a frame is just sent, and dropped while nobody reads it).
 *
 * <p>Per frame in: one non-blocking read into a reused native buffer, one copy into a frame-sized array (the link
 * may keep the frame, e.g. a DNS query queued for an upstream). Per frame out: one copy into the sink's reused
 * native buffer and one non-blocking send. Nothing waits for the peer: a full peer queue drops the frame and
 * counts {@value #DROPPED_PEER_BUSY}; a datagram longer than {@link Frames#MAX_FRAME} is dropped and counted as
 * {@value #DROPPED_OVERSIZE}. Memory is the two buffers, whatever the input.
 */
public final class PacketFrontEnd extends FdFrontEnd {
    /** How long one send may wait for a peer whose queue a burst filled, before it counts as stalled. */
    static final int BURST_WAIT_MS = 5;

    /** struct virtio_net_hdr (linux/virtio_net.h), before every frame of a tap opened with IFF_VNET_HDR. */
    static final int VNET_HDR = 10;
    private static final int VNET_F_NEEDS_CSUM = 1;
    private static final int VNET_GSO_TCPV4 = 1;
    /** The IPv4 total length bounds one frame's TCP payload (RFC 791 3.1): 65535 - 20 - 20. */
    private static final int MAX_SEGMENTS_PAYLOAD = 65535 - 40;

    private final PacketIo io;
    private final int header; // VNET_HDR or 0
    private final Memory in = new Memory(VNET_HDR + Frames.MAX_FRAME + 1); // one more: a read that fills it was too long
    /**
     * {@link #in} and {@link #out} as direct buffers over the same memory: a field or a frame's bytes are then a
     * plain memory access or one copy, not a JNA JNI call each (Memory.getByte, setShort, write: up to nine JNI
     * calls per frame out, with the virtio-net header's fields). Native order, as the header is read by the tap.
     */
    private final ByteBuffer inView = in.getByteBuffer(0, in.size()).order(ByteOrder.nativeOrder());
    private final ByteBuffer outView;
    private final long inAddress = Pointer.nativeValue(in);
    private final long outAddress;
    private final FrameArrays arrays = new FrameArrays(); // loop thread only
    /**
     * The previous wake-up brought exactly one frame (loop thread only): the one-byte round trip's pattern. The
     * next wake-up after a wait that slept then reads one frame and stops, without the read that would only say
     * EAGAIN (level-triggered epoll reports the device again if more is queued). A wake-up after a wait that did
     * not sleep (frames keep coming: bulk), or whose frame is long, drains as before and learns the count anew.
     */
    private boolean single;
    /**
     * Only a frame no longer than a standard Ethernet frame ends a wake-up early: a longer one is a GSO aggregate
     * or a jumbo frame of a bulk transfer, whose wake-up drains as before (its burst keeps the ACKs and host
     * writes together).
     */
    static final int ONE_FRAME_AT_MOST = 1514;
    private boolean peerGoneLogged;
    private boolean stalled;

    /** Takes ownership of {@code fd}: closed by {@link #close}. */
    public PacketFrontEnd(int fd, PacketIo io, String what, GuestPort link, Statistics stats, EventLog log,
                          EventLoop loop) {
        this(fd, io, false, what, link, stats, log, loop);
    }

    /**
     * {@code vnetHeader}: a tap opened with IFF_VNET_HDR and TUNSETOFFLOAD (TUN_F_CSUM | TUN_F_TSO4): every read
     * and write carries a virtio_net_hdr; the guest's kernel hands over TCP and UDP with the checksum not yet
     * computed (NEEDS_CSUM) and TCP in segments of up to 64 KiB, and takes ours the same way
     * ({@link SegmentingSink}): no checksum over the payload on either side, one frame for many segments.
     */
    PacketFrontEnd(int fd, PacketIo io, boolean vnetHeader, String what, GuestPort link, Statistics stats,
                   EventLog log, EventLoop loop) {
        super(fd, what, (vnetHeader ? VNET_HDR : 0) + Frames.MAX_FRAME, link, stats, log, loop);
        this.io = io;
        this.header = vnetHeader ? VNET_HDR : 0;
        this.outView = out.getByteBuffer(0, out.size()).order(ByteOrder.nativeOrder());
        this.outAddress = Pointer.nativeValue(out);
        if (vnetHeader) {
            sink = new Segmenting();
        }
    }

    /** The sink of a tap with virtio-net headers: the kernel completes TCP checksums and cuts long segments. */
    private final class Segmenting implements SegmentingSink {
        @Override
        public void accept(byte[] frame) {
            send(frame);
        }

        @Override
        public void acceptSegments(byte[] frame, int mss) {
            sendSegments(frame, mss);
        }

        @Override
        public int maxPayload() {
            return MAX_SEGMENTS_PAYLOAD;
        }
    }

    @Override
    boolean readSome() {
        long cap = in.size() - (header == 0 ? VNET_HDR : 0);
        boolean once = single && loop().lastWaitSlept();
        int frames = 0;
        for (int i = 0; i < READS_PER_ROUND && !closed; i++) {
            long n = io.receive(fd, inAddress, cap) - header;
            if (n < 0) {
                if (n > -1 - header) {
                    stats.inc(Statistics.DROPPED_MALFORMED); // shorter than its virtio-net header
                    continue;
                }
                int e = Posix.errno();
                if (e == Posix.EAGAIN) {
                    single = frames == 1;
                    return true; // every frame queued now was delivered
                }
                if (e != Posix.EINTR) {
                    log.warn("frontend_read_failed", "frontend", what, "error", Posix.strerror(e));
                    return false;
                }
                continue;
            }
            if (n > Frames.MAX_FRAME) {
                stats.inc(DROPPED_OVERSIZE);
                continue;
            }
            // a zero-length or runt datagram is not an end of anything: the link drops and counts it
            byte[] frame = arrays.get((int) n);
            NativeCopy.in(in, inView, header, frame, 0, frame.length);
            // NEEDS_CSUM: the guest's kernel left the TCP/UDP checksum to the "device"; a GSO frame is one long
            // segment, taken whole (we are its receiver, not a router that would have to cut it)
            boolean deferred = header != 0 && (inView.get(0) & VNET_F_NEEDS_CSUM) != 0;
            link.receiveInBurst(frame, sink, deferred);
            frames++;
            if (once && frame.length <= ONE_FRAME_AT_MOST) {
                return true; // single stays: see its comment
            }
        }
        single = false;
        return true;
    }

    @Override
    void send(byte[] frame) {
        send(frame, 0);
    }

    /** A TCP frame whose checksum the kernel completes and whose payload it cuts at {@code mss} (GSO). */
    void sendSegments(byte[] frame, int mss) {
        send(frame, mss <= 0 ? -1 : mss);
    }

    /** {@code mss}: 0 for a complete frame, -1 for a TCP frame to checksum only, else also cut at that MSS. */
    private void send(byte[] frame, int mss) {
        if (frame.length > Frames.MAX_FRAME || frame.length == 0) {
            stats.inc(DROPPED_OVERSIZE); // QEMU reads a zero-length datagram as end of connection: never send one
            return;
        }
        synchronized (out) {
            if (closed) {
                return;
            }
            int total = header + frame.length;
            if (header != 0) {
                vnetHeader(frame, mss);
            }
            NativeCopy.out(out, outView, header, frame, 0, frame.length);
            long r = io.send(fd, outAddress, total);
            int e = r < 0 ? Posix.errno() : 0;
            if (e == Posix.EAGAIN && !stalled) {
                // a burst filled the peer's queue (net.unix.max_dgram_qlen is 10 datagrams by default): wait a
                // little once rather than drop at once; a peer that still cannot take it counts as stalled, and
                // no send waits again until one succeeds
                if (writable(outPoll, fd, BURST_WAIT_MS)) {
                    r = io.send(fd, outAddress, total);
                    e = r < 0 ? Posix.errno() : 0;
                }
                stalled = e == Posix.EAGAIN;
            }
            if (r == total) {
                framesOut.increment();
                peerGoneLogged = false;
                stalled = false;
                return;
            }
            if (e == Posix.EAGAIN) {
                stats.inc(DROPPED_PEER_BUSY);
            } else {
                // a socketpair whose other end closed (ECONNREFUSED), a dgram peer not there yet (ENOTCONN/ENOENT)
                stats.inc(DROPPED_PEER_GONE);
                if (!peerGoneLogged) {
                    peerGoneLogged = true;
                    log.warn("frontend_peer_unreachable", "frontend", what, "error",
                            r < 0 ? Posix.strerror(e) : "short send " + r);
                }
            }
        }
    }

    /**
     * Fills the virtio_net_hdr in front of {@code frame} (little-endian fields, as a little-endian host's tap
     * reads them): all zero for a complete frame; for our TCP frames (Ethernet, a 20-byte IPv4 header, TCP)
     * NEEDS_CSUM with the checksum's place, and GSO TCPV4 at {@code mss} when the payload is longer than it.
     */
    private void vnetHeader(byte[] frame, int mss) {
        ByteBuffer h = outView;
        if (mss == 0) {
            h.putLong(0, 0).putShort(8, (short) 0);
            return;
        }
        int l4 = Frames.ETH_HEADER + 20;
        int headers = l4 + ((frame[l4 + 12] & 0xff) >>> 4) * 4;
        boolean gso = mss > 0 && frame.length - headers > mss;
        h.put(0, (byte) VNET_F_NEEDS_CSUM);
        h.put(1, (byte) (gso ? VNET_GSO_TCPV4 : 0));
        h.putShort(2, (short) headers); // hdr_len
        h.putShort(4, (short) (gso ? mss : 0)); // gso_size
        h.putShort(6, (short) l4); // csum_start
        h.putShort(8, (short) 16); // csum_offset: the TCP checksum field
    }
}
