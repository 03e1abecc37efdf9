package org.qemu.helpers.slirpdhcp.transport;

import org.qemu.helpers.common.log.EventLog;
import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.qemu.helpers.common.listen.Listen;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestPort;

/**
 * The Unix datagram socket QEMU's {@code -netdev dgram,local.type=unix,local.path=Q,remote.type=unix,remote.path=PATH}
 * sends to. QEMU (net/dgram.c, 7.2) binds Q, sendto()s every frame as one datagram to PATH and reads frames from
 * Q, so the helper binds PATH and answers the sender of the last datagram ({@link PacketIo.ReplyToSender}).
 * QEMU may start before or after the helper: its frames to a PATH nobody has bound yet are lost, and the guest's
 * DHCP client retries.
 *
 * <p>A stale socket at PATH (a previous run) is replaced; anything else there is refused, never deleted.
 */
public final class NetdevDgramServer implements FrameFrontEnd {
    private final Path path;
    private final PacketFrontEnd frames;

    private NetdevDgramServer(Path path, PacketFrontEnd frames) {
        this.path = path;
        this.frames = frames;
    }

    /** Why PATH cannot be bound, or null: too long for sun_path (what is at PATH is judged by Listen when binding). */
    public static String pathProblem(Path path) {
        String p = path.toString();
        if (Posix.unixAddressLength(p) > Posix.SOCKADDR_UN_SIZE) {
            return p + ": a Unix socket path is at most 107 bytes; use a shorter one";
        }
        return null;
    }

    public static NetdevDgramServer open(Path path, GuestPort link, Statistics stats, EventLog log,
                                         EventLoop loop) throws IOException {
        String bad = pathProblem(path);
        if (bad != null) {
            throw new IOException(bad);
        }
        String p = path.toString();
        Listen.claimUnixPath(path); // a stale socket from a previous run is replaced, anything else refused
        int fd = Posix.socket(Posix.AF_UNIX, Posix.SOCK_DGRAM | Posix.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("socket(AF_UNIX, SOCK_DGRAM): " + Posix.lastError());
        }
        try (Memory addr = Posix.unixAddress(p)) {
            if (Posix.bind(fd, addr, Posix.unixAddressLength(p)) != 0) {
                String e = Posix.lastError();
                Posix.close(fd);
                throw new IOException("bind " + p + ": " + e);
            }
        }
        return new NetdevDgramServer(path, new PacketFrontEnd(fd, new PacketIo.ReplyToSender(), "dgram " + p, link,
                stats, log, loop));
    }

    @Override
    public void start() {
        frames.start();
    }

    @Override
    public String describe() {
        return frames.describe();
    }

    @Override
    public void close() {
        frames.close();
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // the next run replaces a stale socket
        }
    }
}
