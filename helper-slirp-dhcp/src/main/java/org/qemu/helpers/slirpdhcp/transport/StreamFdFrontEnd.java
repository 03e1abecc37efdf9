package org.qemu.helpers.slirpdhcp.transport;

import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestPort;

/**
 * An inherited connected SOCK_STREAM socket ({@code -netdev socket,fd=} with a stream socketpair): each frame is
 * preceded by its length as a 4-byte big-endian integer, as in QEMU's net/socket.c and {@code -netdev stream}.
 * Served on the event loop's thread by a {@link StreamConnection} (many frames per read and per send, EPOLLOUT
 * when the peer's socket is full, nothing dropped or reordered on the stream). The front end ends when the peer
 * closes (EOF) or sends a length no frame can have (the stream cannot be resynchronised): the guest is detached,
 * the stream shut down, the helper keeps running (its state stays reachable over the bus, e.g. for a migration);
 * the descriptor is closed by {@link #close}.
 */
public final class StreamFdFrontEnd implements FrameFrontEnd {
    private final String what;
    private final StreamConnection conn;

    /** Takes ownership of {@code fd}: closed by {@link #close}. */
    public StreamFdFrontEnd(int fd, String what, GuestPort link, Statistics stats, EventLog log, EventLoop loop) {
        this.what = what;
        this.conn = new StreamConnection(fd, link, stats, loop, (c, reason) -> {
            log.info("frontend_ended", "frontend", what, "reason", reason);
            ended();
        });
    }

    private void ended() {
        conn.shutdown(); // the peer sees EOF at once, not when the helper exits
    }

    @Override
    public void start() {
        conn.start();
    }

    @Override
    public String describe() {
        return what;
    }

    @Override
    public void close() {
        conn.close();
    }
}
