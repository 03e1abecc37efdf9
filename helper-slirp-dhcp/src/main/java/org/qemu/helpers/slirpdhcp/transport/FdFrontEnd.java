package org.qemu.helpers.slirpdhcp.transport;

import org.qemu.helpers.common.log.EventLog;
import com.sun.jna.Memory;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestPort;

/**
 * What every raw-descriptor front end shares: the owned descriptor, read on the {@link EventLoop}'s thread (the
 * same thread as the NAT's host sockets: no hop between threads per frame), and one sink whose sends are
 * serialised on the reused native output buffer {@link #out}, which also guards the descriptor's close (no send
 * can hit a reused descriptor number).
 */
abstract class FdFrontEnd implements FrameFrontEnd {
    public static final String DROPPED_PEER_BUSY = "frames_dropped_peer_busy";
    public static final String DROPPED_PEER_GONE = "frames_dropped_peer_gone";
    public static final String DROPPED_OVERSIZE = "frames_dropped_oversize";
    static final String FRAMES_OUT = "frames_out";
    /** Frames read per round of the loop at most: a burst (see GuestPort#receiveInBurst), and fairness. */
    static final int READS_PER_ROUND = 64;

    final int fd;
    final String what;
    final GuestPort link;
    final Statistics stats;
    final LongAdder framesOut; // per frame: resolved once (Statistics#counter), no map lookup per send
    final EventLog log;
    final Memory out;
    final Memory outPoll = new Memory(8); // a writer's own pollfd
    Consumer<byte[]> sink = this::send; // a subclass may put a richer sink here in its constructor
    volatile boolean closed;
    private final EventLoop loop;
    private long token;
    private boolean watching;
    private boolean ended;

    /** Takes ownership of {@code fd}: closed by {@link #close}. */
    FdFrontEnd(int fd, String what, long outSize, GuestPort link, Statistics stats, EventLog log,
               EventLoop loop) {
        this.fd = fd;
        this.what = what;
        this.out = new Memory(outSize);
        this.link = link;
        this.stats = stats;
        this.framesOut = stats.counter(FRAMES_OUT);
        this.log = log;
        this.loop = loop;
    }

    /**
     * Reads what is queued (non-blocking, at most {@link #READS_PER_ROUND} frames) and hands it to {@link #link}
     * as one burst; returns false when the front end has ended (the peer is gone, or the stream is corrupt).
     */
    abstract boolean readSome();

    /** The front end ended on its own (see {@link #readSome}); the guest is detached already. */
    void ended() {
    }

    /** The sink: one frame to the peer, never blocking for long. */
    abstract void send(byte[] frame);

    @Override
    public final void start() {
        link.attach(sink);
        loop.runOnLoop(() -> {
            token = loop.add(fd, Posix.EPOLLIN, this::readable);
            watching = true;
        });
    }

    private void readable(int events) {
        boolean more;
        try {
            more = readSome();
        } catch (RuntimeException e) {
            log.error("frontend_failed", "frontend", what, "error", e);
            more = false;
        } finally {
            link.burstEnd(); // every frame read this round was delivered
        }
        if (!more && !closed) {
            stop();
            ended();
        }
    }

    /** Loop thread: no more reads; the guest is detached. */
    private void stop() {
        if (ended) {
            return;
        }
        ended = true;
        if (watching) {
            loop.remove(fd, token, Posix.EPOLLIN);
            watching = false;
        }
        link.detach(sink);
    }

    final EventLoop loop() {
        return loop;
    }

    /** Polls {@code fd} alone for writability with the caller's own 8-byte pollfd; false on timeout. */
    static boolean writable(Memory pollfd, int fd, int timeoutMs) {
        pollfd.setInt(0, fd);
        pollfd.setShort(4, Posix.POLLOUT);
        pollfd.setShort(6, (short) 0);
        return Posix.poll(pollfd, 1, timeoutMs) > 0;
    }

    @Override
    public final String describe() {
        return what;
    }

    @Override
    public final void close() {
        if (closed) {
            return;
        }
        closed = true;
        loop.runOnLoop(this::stop); // on the loop: no handler is reading the descriptor while it closes
        synchronized (out) {
            Posix.close(fd);
        }
    }
}
