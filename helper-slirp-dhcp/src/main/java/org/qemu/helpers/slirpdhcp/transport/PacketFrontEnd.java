package org.qemu.helpers.slirpdhcp.transport;

import org.qemu.helpers.common.log.EventLog;
import com.sun.jna.Memory;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.frame.FrameArrays;
import org.qemu.helpers.slirpdhcp.engine.frame.Frames;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestPort;

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

    private final PacketIo io;
    private final Memory in = new Memory(Frames.MAX_FRAME + 1); // one more: a read that fills it was too long
    private final FrameArrays arrays = new FrameArrays(); // loop thread only
    private boolean peerGoneLogged;
    private boolean stalled;

    /** Takes ownership of {@code fd}: closed by {@link #close}. */
    public PacketFrontEnd(int fd, PacketIo io, String what, GuestPort link, Statistics stats, EventLog log,
                          EventLoop loop) {
        super(fd, what, Frames.MAX_FRAME, link, stats, log, loop);
        this.io = io;
    }

    @Override
    boolean readSome() {
        long cap = in.size();
        for (int i = 0; i < READS_PER_ROUND && !closed; i++) {
            long n = io.receive(fd, in, cap);
            if (n < 0) {
                int e = Posix.errno();
                if (e == Posix.EAGAIN) {
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
            in.read(0, frame, 0, frame.length);
            link.receiveInBurst(frame, sink);
        }
        return true;
    }

    @Override
    void send(byte[] frame) {
        if (frame.length > Frames.MAX_FRAME || frame.length == 0) {
            stats.inc(DROPPED_OVERSIZE); // QEMU reads a zero-length datagram as end of connection: never send one
            return;
        }
        synchronized (out) {
            if (closed) {
                return;
            }
            out.write(0, frame, 0, frame.length);
            long r = io.send(fd, out, frame.length);
            int e = r < 0 ? Posix.errno() : 0;
            if (e == Posix.EAGAIN && !stalled) {
                // a burst filled the peer's queue (net.unix.max_dgram_qlen is 10 datagrams by default): wait a
                // little once rather than drop at once; a peer that still cannot take it counts as stalled, and
                // no send waits again until one succeeds
                if (writable(outPoll, fd, BURST_WAIT_MS)) {
                    r = io.send(fd, out, frame.length);
                    e = r < 0 ? Posix.errno() : 0;
                }
                stalled = e == Posix.EAGAIN;
            }
            if (r == frame.length) {
                stats.inc(FRAMES_OUT);
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

}
