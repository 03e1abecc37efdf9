package org.qemu.helpers.slirpdhcp.transport;

import com.sun.jna.Memory;
import java.util.function.Consumer;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestPort;
import org.qemu.helpers.common.log.EventLog;

/**
 * What every raw-descriptor front end shares: the owned descriptor, one reader thread woken by {@link Wakeup},
 * and one sink whose sends are serialised on the reused native output buffer {@link #out}, which also guards the
 * descriptor's close (no send can hit a reused descriptor number).
 */
abstract class FdFrontEnd implements FrameFrontEnd {
    public static final String DROPPED_PEER_BUSY = "frames_dropped_peer_busy";
    public static final String DROPPED_PEER_GONE = "frames_dropped_peer_gone";
    public static final String DROPPED_OVERSIZE = "frames_dropped_oversize";
    static final String FRAMES_OUT = "frames_out";

    final int fd;
    final String what;
    final GuestPort link;
    final Statistics stats;
    final EventLog log;
    final Wakeup wakeup = new Wakeup();
    final Memory out;
    final Memory outPoll = new Memory(8); // a writer's own pollfd
    final Consumer<byte[]> sink = this::send;
    volatile boolean closed;
    private final Thread reader;

    /** Takes ownership of {@code fd}: closed by {@link #close}. */
    FdFrontEnd(int fd, String what, long outSize, GuestPort link, Statistics stats, EventLog log) {
        this.fd = fd;
        this.what = what;
        this.out = new Memory(outSize);
        this.link = link;
        this.stats = stats;
        this.log = log;
        this.reader = new Thread(this::readLoop, "frames-" + what.replace(' ', '-'));
        reader.setDaemon(true);
    }

    /** The reader thread's body: frames to {@link #link} with {@link #sink} until closed or the peer is gone. */
    abstract void readLoop();

    /** The sink: one frame to the peer, never blocking for long. */
    abstract void send(byte[] frame);

    @Override
    public final void start() {
        link.attach(sink);
        reader.start();
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
        wakeup.wake();
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (out) {
            Posix.close(fd);
        }
        wakeup.close();
    }
}
