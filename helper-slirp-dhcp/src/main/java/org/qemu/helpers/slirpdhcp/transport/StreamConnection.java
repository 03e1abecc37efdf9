package org.qemu.helpers.slirpdhcp.transport;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.frame.FrameArrays;
import org.qemu.helpers.slirpdhcp.engine.frame.FrameBatch;
import org.qemu.helpers.slirpdhcp.engine.frame.Frames;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestPort;

/**
 * One connected, non-blocking SOCK_STREAM descriptor carrying {@link LengthPrefixedFrames} (QEMU's
 * {@code -netdev stream}, {@code -netdev socket,fd=} with a stream socketpair), served on the {@link EventLoop}'s
 * thread beside the NAT's host sockets: no reader thread, no lock handed between threads per frame.
 *
 * <p>In: each readiness reads as much as the socket holds into one reused {@value #IN_BUFFER}-byte buffer and
 * hands every whole frame in it to the link as one burst (a frame cut by a read waits in the buffer for the rest).
 * A read that did not fill the buffer drained the socket: no second read to learn EAGAIN (epoll is
 * level-triggered and reports what arrives later).
 *
 * <p>Out: frames are queued behind their length in one reused {@value #OUT_BUFFER}-byte native buffer and sent
 * with one send(2) for the whole queue at the end of the loop's round or of the guest's burst ({@link FrameBatch}),
 * or as soon as {@value #FLUSH_AT} bytes are queued.
 * QEMU 7.2 (net/stream.c, net_stream_send) reads up to NET_BUFSIZE (69,632) bytes per read and parses every frame
 * in them, so a queue of many frames costs it one read per 68 KiB instead of one per frame. A send the kernel
 * takes only part of leaves the rest queued, in order, and watches EPOLLOUT for it; frames sent meanwhile queue
 * behind it. Back-pressure: while {@value #HIGH_WATER} bytes or more are queued the guest's frames are not read
 * (QEMU then queues its own sends and stops the guest's TX), so frames the helper answers with cannot pile up.
 * Only frames the link originates on its own (host data within the window the guest opened) can fill the queue;
 * a frame that still finds no room is dropped whole and counted ({@value FdFrontEnd#DROPPED_PEER_BUSY}; TCP
 * resends it): the stream itself never loses a byte or reorders one.
 */
final class StreamConnection implements EventLoop.Handler {
    /** Why the stream ended on its own ("peer_closed", "bad_length length=N", ...); called on the loop's thread. */
    interface Ended {
        void ended(StreamConnection conn, String reason);
    }

    /** Larger than any frame with its length, so a whole frame always fits after a compact. */
    static final int IN_BUFFER = 256 * 1024;
    /** What may be queued toward the peer: room for a window of full frames beyond the kernel's socket buffer. */
    static final int OUT_BUFFER = 1024 * 1024;
    /** At or above this many queued bytes the guest's frames are left unread until the queue drains below it. */
    static final int HIGH_WATER = OUT_BUFFER / 2;
    /** Reads per readiness at most (each up to IN_BUFFER): fairness toward the host sockets on the same loop. */
    static final int READS_PER_ROUND = 8;
    /**
     * Inside a batch, a queue of this many bytes is sent at once instead of at the batch's end: about one of QEMU's
     * reads (NET_BUFSIZE, 69,632 bytes in QEMU 7.2 net/stream.c), so QEMU and the guest start on the first
     * frames of a round while the rest are built (a round that refills a flow's 256 KiB window builds ~180 frames,
     * and the guest waited for all of them), at one send per 64 KiB instead of one per round.
     */
    static final int FLUSH_AT = 64 * 1024;
    /** The kernel's send buffer asked for: a loop round's frames (one flow's window is 256 KiB) and more. */
    static final int SEND_BUFFER = 1024 * 1024;

    private final int fd;
    private final GuestPort link;
    private final Statistics stats;
    private final LongAdder framesOut; // per frame: resolved once (Statistics#counter)
    private final EventLoop loop;
    private final Ended onEnd;
    private final ByteBuffer in = ByteBuffer.allocateDirect(IN_BUFFER); // write mode between reads
    private final Pointer inPtr = Native.getDirectBufferPointer(in);
    private final FrameArrays arrays = new FrameArrays(); // the loop's thread only
    /** Queued frames are out[sent, position); guarded by itself, which also guards the descriptor's close. */
    private final ByteBuffer out = ByteBuffer.allocateDirect(OUT_BUFFER);
    private final Pointer outPtr = Native.getDirectBufferPointer(out);
    private int sent;
    private boolean blocked; // the last send was short: the rest waits for EPOLLOUT
    private boolean broken; // a send failed for good: the read side ends the stream
    private boolean ended;
    private boolean fdClosed;
    private boolean registered;
    private int interest;
    private long token;
    private final Runnable flush = this::flushDeferred;
    private final Consumer<byte[]> sink = this::send;

    /** socket(7): SO_SNDBUF, and SO_SNDBUFFORCE (CAP_NET_ADMIN: past net.core.wmem_max). */
    private static final int SO_SNDBUF = 7;
    private static final int SO_SNDBUFFORCE = 32;

    /** Serves {@code fd} (connected, SOCK_STREAM) once {@link #start}ed; takes ownership of it. */
    StreamConnection(int fd, GuestPort link, Statistics stats, EventLoop loop, Ended onEnd) {
        this.fd = fd;
        this.link = link;
        this.stats = stats;
        this.framesOut = stats.counter(FdFrontEnd.FRAMES_OUT);
        this.loop = loop;
        this.onEnd = onEnd;
        sendBuffer(fd, SEND_BUFFER);
    }

    /**
     * Asks the kernel for {@code bytes} of send buffer (it doubles what it is given, socket(7)): a loop round's
     * frames then go out in one send, and a short send that waits for EPOLLOUT is rare. Without CAP_NET_ADMIN the
     * kernel caps it at net.core.wmem_max (212,992 by default); the queue here covers the rest.
     */
    private static void sendBuffer(int fd, int bytes) {
        try (com.sun.jna.Memory v = new com.sun.jna.Memory(4)) {
            v.setInt(0, bytes / 2);
            if (Posix.setsockopt(fd, Posix.SOL_SOCKET, SO_SNDBUFFORCE, v, 4) != 0) {
                Posix.setsockopt(fd, Posix.SOL_SOCKET, SO_SNDBUF, v, 4);
            }
        }
    }

    /** Attaches the guest and starts reading on the loop. */
    void start() {
        link.attach(sink);
        loop.runOnLoop(() -> {
            synchronized (out) {
                if (ended) {
                    return;
                }
                token = loop.add(fd, Posix.EPOLLIN, this);
                interest = Posix.EPOLLIN;
                registered = true;
            }
        });
    }

    /** The sink toward this peer (what the link has attached). */
    Consumer<byte[]> sink() {
        return sink;
    }

    /** Bytes queued toward the peer and not yet taken by the kernel. */
    int queued() {
        synchronized (out) {
            return out.position() - sent;
        }
    }

    @Override
    public void ready(int events) {
        if ((events & (Posix.EPOLLOUT | Posix.EPOLLERR | Posix.EPOLLHUP)) != 0) {
            synchronized (out) {
                flushNow();
            }
        }
        if ((events & (Posix.EPOLLIN | Posix.EPOLLERR | Posix.EPOLLHUP)) != 0 && !ended) {
            String end;
            try {
                end = readSome();
            } catch (RuntimeException e) {
                end = "failed error=\"" + e + "\"";
            } finally {
                link.burstEnd(); // every frame read this round was delivered
            }
            if (end != null) {
                end(end);
                return;
            }
        }
        synchronized (out) {
            updateInterest();
        }
    }

    /** Reads and delivers what the socket holds; returns why the stream ended, or null. */
    private String readSome() {
        for (int i = 0; i < READS_PER_ROUND && !ended; i++) {
            if (queued() >= HIGH_WATER) {
                return null; // back-pressure: the rest stays in the socket until the queue drains
            }
            int room = in.remaining();
            long n = Posix.recv(fd, inPtr.share(in.position()), room, Posix.MSG_DONTWAIT);
            if (n == 0) {
                return "peer_closed";
            }
            if (n < 0) {
                int e = Posix.errno();
                if (e == Posix.EAGAIN) {
                    return null;
                }
                if (e == Posix.EINTR) {
                    continue;
                }
                return "read_failed error=\"" + Posix.strerror(e) + "\"";
            }
            in.position(in.position() + (int) n);
            in.flip();
            long bad = LengthPrefixedFrames.deliver(in, arrays, link, sink);
            if (bad != LengthPrefixedFrames.OK) {
                stats.inc(Statistics.DROPPED_MALFORMED);
                return "bad_length length=" + bad;
            }
            in.compact();
            if (n < room) {
                return null; // the socket is drained
            }
        }
        return null;
    }

    /** The sink: queues one frame (any thread); sent now outside a batch, else at the batch's end. */
    private void send(byte[] frame) {
        if (frame.length > Frames.MAX_FRAME) {
            stats.inc(FdFrontEnd.DROPPED_OVERSIZE);
            return;
        }
        synchronized (out) {
            if (ended || broken) {
                stats.inc(FdFrontEnd.DROPPED_PEER_GONE);
                return;
            }
            int need = 4 + frame.length;
            if (out.remaining() < need) {
                if (!blocked) {
                    flushNow();
                }
                compact();
                if (out.remaining() < need) {
                    stats.inc(FdFrontEnd.DROPPED_PEER_BUSY); // whole frames only: the stream stays intact
                    return;
                }
            }
            out.putInt(frame.length).put(frame);
            framesOut.increment();
            if (!blocked && (out.position() - sent >= FLUSH_AT || !FrameBatch.defer(flush))) {
                flushNow(); // the batch's deferred flush then sends what comes after, or finds nothing
            }
        }
    }

    private void flushDeferred() {
        synchronized (out) {
            if (!blocked) {
                flushNow();
            }
        }
    }

    /** Sends what is queued, non-blocking; under the lock. A short send leaves the rest for EPOLLOUT. */
    private void flushNow() {
        int len = out.position() - sent;
        while (len > 0 && !ended && !broken) {
            long r = Posix.send(fd, outPtr.share(sent), len, Posix.MSG_DONTWAIT | Posix.MSG_NOSIGNAL);
            if (r == len) {
                out.clear();
                sent = 0;
                blocked = false;
                break;
            }
            if (r >= 0) {
                sent += (int) r;
                blocked = true; // the kernel's buffer is full: the next send would only learn EAGAIN
                break;
            }
            int e = Posix.errno();
            if (e == Posix.EINTR) {
                continue;
            }
            if (e == Posix.EAGAIN) {
                blocked = true;
                break;
            }
            broken = true; // EPIPE, ECONNRESET: the reader sees the end and ends the stream
            out.clear();
            sent = 0;
            blocked = false;
            Posix.shutdown(fd, Posix.SHUT_RDWR);
        }
        if (len == 0) {
            blocked = false;
        }
        updateInterest();
    }

    /** Moves the unsent queue to the buffer's start (rare: only after a short send); under the lock. */
    private void compact() {
        if (sent == 0) {
            return;
        }
        out.flip();
        out.position(sent);
        out.compact();
        sent = 0;
    }

    /**
     * Under the lock: EPOLLIN while the queue is below {@link #HIGH_WATER}, EPOLLOUT while a short send waits.
     * Interest 0 (the queue is full and its flush is pending) takes the descriptor out of the set until then.
     */
    private void updateInterest() {
        if (!registered) {
            return;
        }
        int want = (out.position() - sent < HIGH_WATER && !broken ? Posix.EPOLLIN : 0)
                | (blocked ? Posix.EPOLLOUT : 0);
        if (broken) {
            want = Posix.EPOLLIN; // read to the end the shutdown causes
        }
        if (want != interest) {
            try {
                loop.modify(fd, token, interest, want);
                interest = want;
            } catch (IllegalStateException e) {
                // the loop closed first (the helper is stopping): nothing watches any descriptor any more
            }
        }
    }

    /** The stream ended on its own: no more reads or sends, the guest detached, the owner told. */
    private void end(String reason) {
        if (stop()) {
            onEnd.ended(this, reason);
        }
    }

    /** Loop's thread: stops watching and detaches the guest; false if it had stopped already. */
    boolean stop() {
        synchronized (out) {
            if (ended) {
                return false;
            }
            ended = true;
            if (registered) {
                loop.remove(fd, token, interest);
                registered = false;
            }
            out.clear();
            sent = 0;
        }
        link.detach(sink);
        return true;
    }

    /** Shuts both directions down (the peer sees EOF); the descriptor stays open until {@link #close}. */
    void shutdown() {
        synchronized (out) {
            if (!fdClosed) {
                Posix.shutdown(fd, Posix.SHUT_RDWR);
            }
        }
    }

    /** Stops (on the loop, so no read races with the close) and closes the descriptor; idempotent, any thread. */
    void close() {
        loop.runOnLoop(this::stop);
        synchronized (out) {
            if (!fdClosed) {
                fdClosed = true;
                Posix.close(fd);
            }
        }
    }
}
