package org.qemu.helpers.common.systemd;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import java.io.IOException;
import java.util.Arrays;

/**
 * An AF_UNIX SOCK_DGRAM socket, which JDK 17 lacks (its Unix domain channels are stream only, and
 * none takes an abstract address). JNA direct mapping of socket/bind/sendto/recv/setsockopt/close;
 * Linux only. Sends for sd_notify; binds and receives for the tests that play the service manager.
 */
public final class UnixDatagramSocket implements AutoCloseable {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int MSG_NOSIGNAL = 0x4000;

    private static final class LibC {
        static {
            Native.register(Platform.C_LIBRARY_NAME);
        }

        static native int socket(int domain, int type, int protocol) throws LastErrorException;

        static native int bind(int fd, byte[] addr, int len) throws LastErrorException;

        static native NativeLong sendto(int fd, byte[] buf, NativeLong len, int flags, byte[] addr, int addrLen)
                throws LastErrorException;

        static native NativeLong recv(int fd, byte[] buf, NativeLong len, int flags) throws LastErrorException;

        static native int setsockopt(int fd, int level, int name, byte[] value, int len) throws LastErrorException;

        static native int close(int fd);
    }

    private final int fd;
    private boolean closed;

    private UnixDatagramSocket(int fd) {
        this.fd = fd;
    }

    /** A new unbound socket, close-on-exec (the helpers start no children that should inherit it). */
    public static UnixDatagramSocket open() throws IOException {
        try {
            return new UnixDatagramSocket(LibC.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        } catch (LastErrorException e) {
            throw new IOException("socket(AF_UNIX, SOCK_DGRAM): " + e.getMessage(), e);
        }
    }

    /** A socket bound to {@code address} (a file-system path must not exist yet). */
    public static UnixDatagramSocket bind(NotifyAddress address) throws IOException {
        UnixDatagramSocket s = open();
        try {
            byte[] sa = address.bytes();
            LibC.bind(s.fd, sa, sa.length);
            return s;
        } catch (LastErrorException e) {
            s.close();
            throw new IOException("bind " + address + ": " + e.getMessage(), e);
        }
    }

    /** Sends {@code datagram} to {@code address} in one datagram (sd_notify's message is one datagram). */
    public void send(byte[] datagram, NotifyAddress address) throws IOException {
        byte[] sa = address.bytes();
        try {
            long n = LibC.sendto(fd, datagram, new NativeLong(datagram.length), MSG_NOSIGNAL, sa, sa.length).longValue();
            if (n != datagram.length) {
                throw new IOException("sendto " + address + ": sent " + n + " of " + datagram.length + " bytes");
            }
        } catch (LastErrorException e) {
            throw new IOException("sendto " + address + ": " + e.getMessage(), e);
        }
    }

    /** The next datagram (at most {@code max} bytes), or null when none came within {@code timeoutMs}. */
    public byte[] receive(int max, long timeoutMs) throws IOException {
        try {
            LibC.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeval(timeoutMs), 2 * NativeLong.SIZE);
            byte[] buf = new byte[max];
            long n = LibC.recv(fd, buf, new NativeLong(max), 0).longValue();
            return Arrays.copyOf(buf, (int) n);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == 11) { // EAGAIN: SO_RCVTIMEO expired
                return null;
            }
            throw new IOException("recv: " + e.getMessage(), e);
        }
    }

    /** struct timeval: tv_sec and tv_usec, each a C long, in host byte order. */
    private static byte[] timeval(long ms) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(2 * NativeLong.SIZE).order(java.nio.ByteOrder.nativeOrder());
        if (NativeLong.SIZE == 8) {
            b.putLong(ms / 1000).putLong(ms % 1000 * 1000);
        } else {
            b.putInt((int) (ms / 1000)).putInt((int) (ms % 1000 * 1000));
        }
        return b.array();
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LibC.close(fd);
        }
    }
}
