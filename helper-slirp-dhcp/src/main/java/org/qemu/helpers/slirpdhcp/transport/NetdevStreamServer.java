package org.qemu.helpers.slirpdhcp.transport;

import com.sun.jna.Memory;
import java.io.IOException;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.qemu.helpers.common.listen.Listen;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestPort;

/**
 * The Unix socket QEMU's {@code -netdev stream,server=off,addr.type=unix} connects to: each Ethernet frame is
 * preceded by its length as a 4-byte big-endian integer. The listening socket and every connection are served on
 * the {@link EventLoop}'s thread, beside the NAT's host sockets (a connection is a {@link StreamConnection}: many
 * frames per read and per send). Accepts again after a disconnect (QEMU reconnects); a length that cannot be a
 * frame ends that connection, since the stream cannot be resynchronised. The connection accepted last is the
 * guest the link's own frames go to.
 */
public final class NetdevStreamServer implements FrameFrontEnd {
    private static final int BACKLOG = 50;
    /**
     * Connections served at once at most (QEMU makes one, and one more while it reconnects): each holds 1.25 MiB
     * of buffers, so a local client opening many cannot take the helper's memory. More are closed at once.
     */
    static final int MAX_CONNECTIONS = 4;

    private final Path path;
    private final int listenFd;
    private final GuestPort link;
    private final Statistics stats;
    private final EventLog log;
    private final EventLoop loop;
    private final Set<StreamConnection> clients = ConcurrentHashMap.newKeySet();
    private long token;
    private boolean watching; // the loop's thread only
    private volatile boolean closed;

    public NetdevStreamServer(Path path, GuestPort link, Statistics stats, EventLog log, EventLoop loop)
            throws IOException {
        this.path = path;
        this.link = link;
        this.stats = stats;
        this.log = log;
        this.loop = loop;
        String bad = NetdevDgramServer.pathProblem(path);
        if (bad != null) {
            throw new IOException(bad);
        }
        // a stale socket from a previous run is replaced; anything else there is refused, never deleted
        Listen.claimUnixPath(path);
        String p = path.toString();
        int fd = Posix.socket(Posix.AF_UNIX, Posix.SOCK_STREAM | Posix.SOCK_CLOEXEC | Posix.SOCK_NONBLOCK, 0);
        if (fd < 0) {
            throw new IOException("socket(AF_UNIX, SOCK_STREAM): " + Posix.lastError());
        }
        try (Memory addr = Posix.unixAddress(p)) {
            if (Posix.bind(fd, addr, Posix.unixAddressLength(p)) != 0) {
                int e = Posix.errno();
                String err = Posix.lastError();
                Posix.close(fd);
                throw e == 98 /* EADDRINUSE */ ? Listen.taken(p, new BindException(err))
                        : new IOException("bind " + p + ": " + err);
            }
        }
        if (Posix.listen(fd, BACKLOG) != 0) {
            String err = Posix.lastError();
            Posix.close(fd);
            throw new IOException("listen " + p + ": " + err);
        }
        this.listenFd = fd;
    }

    @Override
    public void start() {
        loop.runOnLoop(() -> {
            if (!closed) {
                token = loop.add(listenFd, Posix.EPOLLIN, this::acceptable);
                watching = true;
            }
        });
    }

    @Override
    public String describe() {
        return "stream " + path;
    }

    /** Loop's thread: accepts every pending connection (the listening socket is non-blocking). */
    private void acceptable(int events) {
        while (!closed) {
            int c = Posix.accept4(listenFd, null, null, Posix.SOCK_CLOEXEC);
            if (c < 0) {
                int e = Posix.errno();
                if (e != Posix.EAGAIN && e != Posix.EINTR && e != 103 /* ECONNABORTED */) {
                    log.warn("netdev_accept_failed", "error", Posix.strerror(e));
                }
                if (e != Posix.EINTR && e != 103) {
                    return;
                }
                continue;
            }
            if (clients.size() >= MAX_CONNECTIONS) {
                Posix.close(c);
                stats.inc("netdev_connections_refused");
                log.warn("netdev_connection_refused", "path", path, "reason", "too_many", "max", MAX_CONNECTIONS);
                continue;
            }
            StreamConnection conn = new StreamConnection(c, link, stats, loop, this::ended);
            clients.add(conn);
            log.info("netdev_connected", "path", path);
            conn.start();
        }
    }

    /** Loop's thread: a connection ended on its own (the guest is detached already). */
    private void ended(StreamConnection conn, String reason) {
        if (reason.startsWith("bad_length")) {
            log.warn("netdev_bad_length", "length", reason.substring(reason.indexOf('=') + 1), "action",
                    "disconnect");
        }
        clients.remove(conn);
        conn.close();
        if (!closed) {
            log.info("netdev_disconnected", "path", path, "reason", reason);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        loop.runOnLoop(() -> {
            if (watching) {
                loop.remove(listenFd, token, Posix.EPOLLIN);
                watching = false;
            }
        });
        Posix.close(listenFd);
        for (StreamConnection c : clients) {
            c.close();
        }
        clients.clear();
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // closing anyway; the next run replaces a stale socket
        }
    }
}
