package org.qemu.helpers.slirpdhcp.transport;

import org.qemu.helpers.common.log.EventLog;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.frame.FrameArrays;
import org.qemu.helpers.slirpdhcp.engine.frame.Frames;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestPort;

/**
 * An inherited connected SOCK_STREAM socket ({@code -netdev socket,fd=} with a stream socketpair): each frame is
 * preceded by its length as a 4-byte big-endian integer, as in QEMU's net/socket.c and {@code -netdev stream}.
 * The stream ends the front end when the peer closes (EOF) or sends a length no frame can have (the stream cannot
 * be resynchronised); the guest is detached, the descriptor closed, the helper keeps running (its state stays
 * reachable over the bus, e.g. for a migration).
 *
 * <p>Per frame in: the event loop's thread recv()s as much as is queued into one reused 256 KiB direct buffer and cuts every
 * whole frame out of it, so a busy stream costs less than one syscall per frame, plus one copy into a frame-sized
 * array. Per frame out: length and frame copied into one reused native buffer, one non-blocking send. A send that
 * finds no room at all drops the frame ({@value PacketFrontEnd#DROPPED_PEER_BUSY}); one the kernel takes only
 * part of must be finished (half a frame would corrupt the stream), for at most {@value #FINISH_MS} ms, after
 * which the peer counts as stalled and the stream is shut down.
 */
public final class StreamFdFrontEnd extends FdFrontEnd {
    static final int FINISH_MS = 1000;
    private static final int BUFFER = 256 * 1024;

    private final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER).order(ByteOrder.BIG_ENDIAN);
    private final Pointer inPtr = Native.getDirectBufferPointer(in);
    private volatile boolean broken;
    private final FrameArrays arrays = new FrameArrays(); // loop thread only

    /** Takes ownership of {@code fd}: closed by {@link #close}. */
    public StreamFdFrontEnd(int fd, String what, GuestPort link, Statistics stats, EventLog log,
                            EventLoop loop) {
        super(fd, what, 4 + Frames.MAX_FRAME, link, stats, log, loop);
    }

    @Override
    boolean readSome() {
        String end;
        try {
            for (int i = 0; i < READS_PER_ROUND && !closed; i++) {
                // in write mode between rounds: position = end of the data held
                long n = Posix.recv(fd, inPtr.share(in.position()), in.remaining(), Posix.MSG_DONTWAIT);
                if (n == 0) {
                    end = "peer_closed";
                    return ended(end);
                }
                if (n < 0) {
                    int e = Posix.errno();
                    if (e == Posix.EAGAIN) {
                        return true; // every whole frame read so far was delivered
                    }
                    if (e == Posix.EINTR) {
                        continue;
                    }
                    return ended("read_failed error=\"" + Posix.strerror(e) + "\"");
                }
                in.position(in.position() + (int) n);
                in.flip();
                long bad = LengthPrefixedFrames.deliver(in, arrays, link, sink);
                if (bad != LengthPrefixedFrames.OK) {
                    stats.inc(Statistics.DROPPED_MALFORMED);
                    return ended("bad_length length=" + bad);
                }
                in.compact();
            }
            return true;
        } catch (RuntimeException e) {
            return ended("failed error=\"" + e + "\"");
        }
    }

    /** Logs why the stream ended and shuts it down (the guest is detached by the caller); returns false. */
    private boolean ended(String reason) {
        if (!closed) {
            log.info("frontend_ended", "frontend", what, "reason", reason);
            broken = true;
            synchronized (out) {
                Posix.shutdown(fd, Posix.SHUT_RDWR);
            }
        }
        return false;
    }

    @Override
    void send(byte[] frame) {
        if (frame.length > Frames.MAX_FRAME) {
            stats.inc(DROPPED_OVERSIZE);
            return;
        }
        synchronized (out) {
            if (closed || broken) {
                stats.inc(DROPPED_PEER_GONE);
                return;
            }
            int total = 4 + frame.length;
            for (int i = 0; i < 4; i++) { // big-endian, whatever the native order Memory.setInt would use
                out.setByte(i, (byte) (frame.length >>> (24 - 8 * i)));
            }
            out.write(4, frame, 0, frame.length);
            long r = Posix.send(fd, out, total, Posix.MSG_DONTWAIT | Posix.MSG_NOSIGNAL);
            if (r == total) {
                stats.inc(FRAMES_OUT);
                return;
            }
            if (r < 0) {
                stats.inc(Posix.errno() == Posix.EAGAIN ? DROPPED_PEER_BUSY
                        : DROPPED_PEER_GONE);
                return;
            }
            if (!finish(r, total)) {
                broken = true;
                log.warn("frontend_peer_stalled", "frontend", what, "action", "shutdown");
                Posix.shutdown(fd, Posix.SHUT_RDWR); // the reader sees EOF and detaches
            } else {
                stats.inc(FRAMES_OUT);
            }
        }
    }

    /** Sends the rest of a frame the kernel took only part of; false if the peer does not read within FINISH_MS. */
    private boolean finish(long sent, int total) {
        long deadline = System.nanoTime() + FINISH_MS * 1_000_000L;
        while (sent < total) {
            int left = (int) ((deadline - System.nanoTime()) / 1_000_000L);
            if (left <= 0) {
                return false;
            }
            writable(outPoll, fd, left);
            long r = Posix.send(fd, out.share(sent), total - sent, Posix.MSG_DONTWAIT | Posix.MSG_NOSIGNAL);
            if (r > 0) {
                sent += r;
            } else if (r < 0 && Posix.errno() != Posix.EAGAIN && Posix.errno() != Posix.EINTR) {
                return false;
            }
        }
        return true;
    }

}
