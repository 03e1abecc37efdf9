package org.qemu.helpers.slirpdhcp.transport;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;

/**
 * The few libc calls the frame front ends need on raw descriptors, which the JDK has no API for: an inherited
 * socket of any type (System.inheritedChannel only covers fd 0 as set up by inetd), Unix datagram sockets (JDK 17
 * has Unix domain only for stream channels), /dev/net/tun and setns(2). JNA direct mapping (Native.register): no
 * per-call reflection, buffers passed as {@link Pointer} so nothing is copied in or out by the binding. Linux
 * (x86-64 and arm64 share these numbers) only.
 */
public final class Posix {
    static {
        Native.register(Platform.C_LIBRARY_NAME);
    }

    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_TYPE = 3;
    static final int O_RDWR = 2;
    static final int O_RDONLY = 0;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final short POLLIN = 1;
    static final short POLLOUT = 4;
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int EPIPE = 32;
    static final int ENOTSOCK = 88;
    static final int ENOTCONN = 107;
    static final int ECONNREFUSED = 111;
    static final int MSG_TRUNC = 0x20;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int SHUT_WR = 1;
    static final int SHUT_RDWR = 2;
    static final int SOCK_NONBLOCK = 0x800;
    static final int IPPROTO_TCP = 6;
    static final int TCP_NODELAY = 1;
    static final int SO_REUSEADDR = 2;
    static final int SO_ERROR = 4;
    static final int SO_LINGER = 13;
    static final int EINPROGRESS = 115;
    static final int EPOLL_CLOEXEC = 0x80000;
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLL_CTL_DEL = 2;
    static final int EPOLL_CTL_MOD = 3;
    static final int EPOLLIN = 0x1;
    static final int EPOLLOUT = 0x4;
    static final int EPOLLERR = 0x8;
    static final int EPOLLHUP = 0x10;
    /** struct sockaddr_in: family, port and address in network order, 8 bytes of zero. */
    static final int SOCKADDR_IN_SIZE = 16;
    static final int EFD_CLOEXEC = 0x80000;
    static final int EFD_NONBLOCK = 0x800;
    static final int CLONE_NEWNET = 0x40000000;
    /** linux/if_tun.h: _IOW('T', 202, int). */
    static final long TUNSETIFF = 0x400454caL;
    static final long SIOCGIFFLAGS = 0x8913;
    static final long SIOCSIFFLAGS = 0x8914;
    static final long SIOCSIFMTU = 0x8922;
    static final short IFF_UP = 0x1;
    static final short IFF_TAP = 0x0002;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_VNET_HDR = 0x4000;
    /** linux/if_tun.h: _IOW('T', 208, unsigned int), and its offload bits. */
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final int TUN_F_CSUM = 0x01;
    static final int TUN_F_TSO4 = 0x02;
    /** struct ifreq: 16-byte name and a 24-byte union. */
    static final int IFREQ_SIZE = 40;
    /** struct sockaddr_un: sa_family_t and 108 bytes of path. */
    static final int SOCKADDR_UN_SIZE = 110;

    private Posix() {
    }

    public static native int socketpair(int domain, int type, int protocol, int[] sv);

    static native int socket(int domain, int type, int protocol);

    static native int bind(int fd, Pointer addr, int len);

    static native long recv(int fd, Pointer buf, long len, int flags);

    static native long send(int fd, Pointer buf, long len, int flags);

    static native long recvfrom(int fd, Pointer buf, long len, int flags, Pointer addr, Pointer addrLen);

    static native long sendto(int fd, Pointer buf, long len, int flags, Pointer addr, int addrLen);

    static native long read(int fd, Pointer buf, long len);

    static native long write(int fd, Pointer buf, long len);

    // The per-frame calls again, with the buffer as a native address (Pointer.nativeValue, taken once): a direct
    // mapping whose arguments are all primitives converts nothing per call, where a Pointer argument costs JNA a
    // JNI field read and type checks per call (sixth round profile: JNA 4.8 % of the helper's CPU per round trip).

    static native long read(int fd, long buf, long len);

    static native long write(int fd, long buf, long len);

    static native long recv(int fd, long buf, long len, int flags);

    static native long send(int fd, long buf, long len, int flags);

    static native long recvfrom(int fd, long buf, long len, int flags, Pointer addr, Pointer addrLen);

    static native long sendto(int fd, long buf, long len, int flags, Pointer addr, int addrLen);

    static native int epoll_wait(int epfd, long events, int maxEvents, int timeoutMs);

    static native int getsockopt(int fd, int level, int name, Pointer value, Pointer len);

    static native int setsockopt(int fd, int level, int name, Pointer value, int len);

    static native int connect(int fd, Pointer addr, int len);

    static native int listen(int fd, int backlog);

    static native int accept4(int fd, Pointer addr, Pointer addrLen, int flags);

    static native int getsockname(int fd, Pointer addr, Pointer addrLen);

    static native int epoll_create1(int flags);

    static native int epoll_ctl(int epfd, int op, int fd, Pointer event);

    static native int epoll_wait(int epfd, Pointer events, int maxEvents, int timeoutMs);

    static native int poll(Pointer fds, long nfds, int timeoutMs);

    static native int eventfd(int initval, int flags);

    static native int open(String path, int flags);

    public static native int close(int fd);

    static native int shutdown(int fd, int how);

    static native int ioctl(int fd, long request, Pointer arg);

    static native int setns(int fd, int nstype);

    static native String strerror(int errno);

    static int errno() {
        return Native.getLastError();
    }

    /** "strerror (errno N)" for the last failed call. */
    static String lastError() {
        int e = errno();
        return strerror(e) + " (errno " + e + ")";
    }

    /** SO_TYPE of {@code fd}; -errno when it is not an open socket. */
    static int socketType(int fd) {
        try (Memory v = new Memory(4); Memory len = new Memory(4)) {
            len.setInt(0, 4);
            if (getsockopt(fd, SOL_SOCKET, SO_TYPE, v, len) != 0) {
                return -errno();
            }
            return v.getInt(0);
        }
    }

    /** A sockaddr_un for {@code path} (length-checked: sun_path holds 107 bytes and a NUL). */
    static Memory unixAddress(String path) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length > SOCKADDR_UN_SIZE - 3) {
            throw new IllegalArgumentException("socket path longer than 107 bytes: " + path);
        }
        Memory a = new Memory(SOCKADDR_UN_SIZE);
        a.clear();
        a.setShort(0, (short) AF_UNIX);
        a.write(2, p, 0, p.length);
        return a;
    }

    static int unixAddressLength(String path) {
        return 2 + path.getBytes(StandardCharsets.UTF_8).length + 1;
    }
}
