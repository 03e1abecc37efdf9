package org.qemu.helpers.slirpdhcp.transport;

import com.sun.jna.Memory;

/**
 * Blocks one reader thread until its descriptor is ready or the front end closes. An eventfd is polled beside the
 * descriptor, because closing a descriptor does not wake a thread blocked on it (the kernel holds the file until
 * the call returns). Readers read non-blocking until EAGAIN and only then poll, so a busy link costs one syscall
 * per frame and an idle one sleeps.
 */
final class Wakeup implements AutoCloseable {
    private final int efd;
    private final Memory fds = new Memory(16); // two struct pollfd {int fd; short events; short revents}
    private final Memory one = new Memory(8);

    Wakeup() {
        efd = Posix.eventfd(0, Posix.EFD_CLOEXEC | Posix.EFD_NONBLOCK);
        if (efd < 0) {
            throw new IllegalStateException("eventfd: " + Posix.lastError());
        }
        one.setLong(0, 1);
    }

    /** Waits until {@code fd} has {@code events} (or an error/hangup); false once {@link #wake} was called. */
    boolean await(int fd, short events, int timeoutMs) {
        fds.setInt(0, fd);
        fds.setShort(4, events);
        fds.setShort(6, (short) 0);
        fds.setInt(8, efd);
        fds.setShort(12, Posix.POLLIN);
        fds.setShort(14, (short) 0);
        int r = Posix.poll(fds, 2, timeoutMs);
        if (r < 0 && Posix.errno() != Posix.EINTR) {
            throw new IllegalStateException("poll: " + Posix.lastError());
        }
        return fds.getShort(14) == 0;
    }

    /** Polls {@code fd} alone for writability with the caller's own 8-byte pollfd; false on timeout. */
    static boolean writable(Memory pollfd, int fd, int timeoutMs) {
        pollfd.setInt(0, fd);
        pollfd.setShort(4, Posix.POLLOUT);
        pollfd.setShort(6, (short) 0);
        return Posix.poll(pollfd, 1, timeoutMs) > 0;
    }

    void wake() {
        Posix.write(efd, one, 8);
    }

    @Override
    public void close() {
        Posix.close(efd);
    }
}
