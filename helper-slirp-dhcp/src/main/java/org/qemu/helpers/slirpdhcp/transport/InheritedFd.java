package org.qemu.helpers.slirpdhcp.transport;

import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestPort;

/**
 * An inherited socket descriptor ({@code --fd N}; libvirt passes 32, the other end of a socketpair whose first end
 * QEMU has as {@code -netdev socket,fd=}). Its SO_TYPE decides the framing, as QEMU's net/socket.c decides it for
 * its end: SOCK_DGRAM one frame per datagram ({@link PacketFrontEnd}), SOCK_STREAM a 4-byte big-endian length
 * before each frame ({@link StreamFdFrontEnd}).
 */
public final class InheritedFd {
    private InheritedFd() {
    }

    /** Why {@code fd} cannot be used as a frame socket, or null if it can. */
    public static String problem(int fd) {
        if (fd < 0) {
            return "a descriptor is a number >= 0";
        }
        int type = Posix.socketType(fd);
        if (type == -Posix.EBADF) {
            return "descriptor " + fd + " is not open in this process (was it inherited?)";
        }
        if (type == -Posix.ENOTSOCK) {
            return "descriptor " + fd + " is not a socket; give a SOCK_DGRAM or SOCK_STREAM socket (a socketpair end)";
        }
        if (type < 0) {
            return "descriptor " + fd + ": " + Posix.strerror(-type);
        }
        if (type != Posix.SOCK_DGRAM && type != Posix.SOCK_STREAM) {
            return "descriptor " + fd + " is a socket of type " + type + "; want SOCK_DGRAM or SOCK_STREAM";
        }
        return null;
    }

    /** The front end for {@code fd}, which it then owns; {@link #problem} must have been null. */
    public static FrameFrontEnd open(int fd, GuestPort link, Statistics stats, EventLog log,
                                     EventLoop loop) {
        String bad = problem(fd);
        if (bad != null) {
            throw new IllegalArgumentException(bad);
        }
        if (Posix.socketType(fd) == Posix.SOCK_DGRAM) {
            return new PacketFrontEnd(fd, PacketIo.CONNECTED, "fd=" + fd + " type=dgram", link, stats, log, loop);
        }
        return new StreamFdFrontEnd(fd, "fd=" + fd + " type=stream", link, stats, log, loop);
    }
}
