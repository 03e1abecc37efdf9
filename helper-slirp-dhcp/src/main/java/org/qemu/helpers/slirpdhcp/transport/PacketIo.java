package org.qemu.helpers.slirpdhcp.transport;

import com.sun.jna.Memory;

/**
 * One frame per call on a descriptor whose every read is one whole frame: how a {@link PacketFrontEnd} receives
 * (reader thread only, never blocking: -1/EAGAIN when nothing is queued) and sends (under the sink's lock, never
 * blocking: -1/EAGAIN when the peer's queue is full). Returns what the syscall returned, errno in
 * {@link Posix#errno()}.
 */
interface PacketIo {
    /** {@code buf}: the native address of the buffer (Pointer.nativeValue), see Posix's primitive overloads. */
    long receive(int fd, long buf, long cap);

    long send(int fd, long buf, long len);

    /**
     * A connected socket (a socketpair end): recv/send. MSG_TRUNC makes recv return a datagram's real length, so an
     * oversized one is seen as such; MSG_NOSIGNAL because a peer that went away must be an error, not SIGPIPE.
     */
    PacketIo CONNECTED = new PacketIo() {
        @Override
        public long receive(int fd, long buf, long cap) {
            return Posix.recv(fd, buf, cap, Posix.MSG_DONTWAIT | Posix.MSG_TRUNC);
        }

        @Override
        public long send(int fd, long buf, long len) {
            return Posix.send(fd, buf, len, Posix.MSG_DONTWAIT | Posix.MSG_NOSIGNAL);
        }
    };

    /** A tap device opened O_NONBLOCK: read/write, one frame each (IFF_NO_PI: no packet-info header). */
    PacketIo TAP = new PacketIo() {
        @Override
        public long receive(int fd, long buf, long cap) {
            return Posix.read(fd, buf, cap);
        }

        @Override
        public long send(int fd, long buf, long len) {
            return Posix.write(fd, buf, len);
        }
    };

    /**
     * An unconnected bound Unix datagram socket (QEMU's -netdev dgram): replies go to the sender of the last
     * datagram received, as QEMU sends from its local.path and reads only there. Before the first datagram there
     * is nobody to send to: send fails with ENOTCONN and the frame is dropped.
     */
    final class ReplyToSender implements PacketIo {
        private final Memory from = new Memory(Posix.SOCKADDR_UN_SIZE); // reader only
        private final Memory fromLen = new Memory(4);
        private final Memory to = new Memory(Posix.SOCKADDR_UN_SIZE); // writers, under the sink's lock
        private volatile byte[] last; // the sender's address, published by the reader when it changes
        private byte[] sendingTo;

        @Override
        public long receive(int fd, long buf, long cap) {
            fromLen.setInt(0, Posix.SOCKADDR_UN_SIZE);
            long n = Posix.recvfrom(fd, buf, cap, Posix.MSG_DONTWAIT | Posix.MSG_TRUNC, from, fromLen);
            if (n >= 0) {
                int len = Math.min(fromLen.getInt(0), Posix.SOCKADDR_UN_SIZE);
                byte[] l = last;
                if (len > 2 && !same(l, len)) { // len 2: an unbound (autobind-less) sender, nowhere to reply
                    last = from.getByteArray(0, len);
                }
            }
            return n;
        }

        private boolean same(byte[] l, int len) {
            if (l == null || l.length != len) {
                return false;
            }
            for (int i = 0; i < len; i++) {
                if (l[i] != from.getByte(i)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public long send(int fd, long buf, long len) {
            byte[] l = last;
            if (l == null) {
                com.sun.jna.Native.setLastError(Posix.ENOTCONN);
                return -1;
            }
            if (l != sendingTo) {
                to.write(0, l, 0, l.length);
                sendingTo = l;
            }
            return Posix.sendto(fd, buf, len, Posix.MSG_DONTWAIT | Posix.MSG_NOSIGNAL, to, l.length);
        }
    }
}
