package org.qemu.helpers.slirpdhcp.transport;

import org.qemu.helpers.common.log.EventLog;
import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.qemu.helpers.slirpdhcp.engine.nat.Forward;
import org.qemu.helpers.slirpdhcp.engine.nat.HostSide;
import org.qemu.helpers.slirpdhcp.engine.nat.NatEngine;
import org.qemu.helpers.slirpdhcp.engine.nat.TcpFlow;
import org.qemu.helpers.slirpdhcp.engine.nat.UdpFlow;

/**
 * The host side of the NAT: one non-blocking socket per flow and one listener per forward, on the guest's
 * {@link EventLoop} (the thread that also reads the guest's frames), which reports readiness to the
 * {@link NatEngine} and runs its timers. Raw descriptors through libc (JNA), not java.nio channels: the JDK's
 * selector cannot watch a tap or datagram descriptor beside its sockets, and a second thread for them cost a
 * lock hand-off per frame. Every method touching a socket runs under the engine's lock (HostSide calls come from
 * the engine; the loop's handlers take it), so one native scratch buffer serves every read and write.
 */
public final class NatSockets implements HostSide, AutoCloseable {
    private static final int READS_PER_WAKEUP = 4;
    /** Covers the largest write (a flow's whole ring) and read (a ring's free space) in one system call. */
    private static final int SCRATCH = TcpFlow.BUFFER;
    private static final int DATAGRAM = 65536;

    private final NatEngine engine;
    private final EventLog log;
    private final EventLoop loop;
    private final Memory scratch = new Memory(SCRATCH); // under the engine's lock
    /** {@link #scratch} as a direct buffer, for short copies without a JNA JNI call ({@link NativeCopy}). */
    private final java.nio.ByteBuffer scratchView = scratch.getByteBuffer(0, SCRATCH);
    private final long scratchAddress = com.sun.jna.Pointer.nativeValue(scratch); // Posix's primitive overloads
    private final byte[] datagram = new byte[DATAGRAM];
    private final Memory addr = new Memory(Posix.SOCKADDR_IN_SIZE); // under the engine's lock
    private final Memory addrLen = new Memory(4);
    private final Memory intOpt = new Memory(8);
    private final Memory pollfd = new Memory(8);
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Set<Sock> open = new HashSet<>(); // under the engine's lock
    private volatile boolean closed;

    /** A socket on the loop: its descriptor, loop token and the events it is watched for now. */
    private abstract class Sock implements EventLoop.Handler {
        final int fd;
        final long token;
        int events;

        Sock(int fd, int events) {
            this.fd = fd;
            this.events = events;
            this.token = loop.add(fd, events, this);
            open.add(this);
        }

        void watch(int e) {
            loop.modify(fd, token, events, e);
            events = e;
        }

        void close() {
            events = -1; // closed: a later call on it does nothing
            open.remove(this);
            loop.removeAndClose(fd, token); // no EPOLL_CTL_DEL: the close takes it out of the set
        }
    }

    /** A TCP flow's socket; {@code connecting} until the non-blocking connect has an outcome. */
    private final class TcpSock extends Sock {
        final TcpFlow flow;
        boolean connecting;

        TcpSock(int fd, TcpFlow flow, boolean connecting) {
            super(fd, connecting ? Posix.EPOLLOUT : 0);
            this.flow = flow;
            this.connecting = connecting;
        }

        @Override
        public void ready(int ev) {
            synchronized (engine) {
                tcpReady(this, ev);
            }
        }
    }

    private final class UdpSock extends Sock {
        final UdpFlow flow;

        UdpSock(int fd, UdpFlow flow) {
            super(fd, Posix.EPOLLIN);
            this.flow = flow;
        }

        @Override
        public void ready(int ev) {
            synchronized (engine) {
                udpReady(this);
            }
        }
    }

    /** A forward's bound socket; for UDP also the flow of each host peer (by address and port). */
    private final class Listener extends Sock {
        final Forward forward;
        final boolean tcp;
        final Map<Long, UdpFlow> peers = new HashMap<>();

        Listener(int fd, Forward forward) {
            super(fd, Posix.EPOLLIN);
            this.forward = forward;
            this.tcp = forward.proto().equals("tcp");
        }

        @Override
        public void ready(int ev) {
            synchronized (engine) {
                if (tcp) {
                    accept(this);
                } else {
                    forwardDatagram(this);
                }
            }
        }
    }

    /** A UDP forward flow's way back: the forward's socket and the host peer's address. */
    private record Peer(Listener listener, long address) {
    }

    public NatSockets(NatEngine engine, EventLoop loop, EventLog log) {
        this.engine = engine;
        this.log = log;
        this.loop = loop;
        engine.host(this);
        loop.timer(engine::nextDeadline, engine::tick);
    }

    // ---- forwards ----

    /** Binds a forward's host socket; the returned forward has the port actually bound (for host port 0). */
    public Forward listen(Forward fwd) throws IOException {
        boolean tcp = fwd.proto().equals("tcp");
        int fd = Posix.socket(Posix.AF_INET, (tcp ? Posix.SOCK_STREAM : Posix.SOCK_DGRAM) | Posix.SOCK_NONBLOCK
                | Posix.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("socket: " + Posix.lastError());
        }
        try (Memory at = new Memory(Posix.SOCKADDR_IN_SIZE); Memory len = new Memory(4); Memory one = new Memory(4)) {
            if (tcp) {
                one.setInt(0, 1);
                Posix.setsockopt(fd, Posix.SOL_SOCKET, Posix.SO_REUSEADDR, one, 4);
            }
            sockaddr(at, fwd.hostAddr(), fwd.hostPort());
            if (Posix.bind(fd, at, Posix.SOCKADDR_IN_SIZE) != 0 || (tcp && Posix.listen(fd, 128) != 0)) {
                throw new IOException(Posix.strerror(Posix.errno()));
            }
            len.setInt(0, Posix.SOCKADDR_IN_SIZE);
            Posix.getsockname(fd, at, len);
            int port = port(at);
            Forward bound = new Forward(fwd.proto(), fwd.hostAddr(), port, fwd.guestAddr(), fwd.guestPort());
            synchronized (engine) {
                listeners.add(new Listener(fd, bound));
            }
            return bound;
        } catch (IOException | RuntimeException e) {
            Posix.close(fd);
            throw e;
        }
    }

    /** Closes a forward's host socket and its UDP flows; connections already accepted go on. */
    public boolean unlisten(Forward fwd) {
        for (Listener l : listeners) {
            if (l.forward.sameHostSide(fwd)) {
                listeners.remove(l);
                // on the loop, so that no handler reads the descriptor as it closes; the port is free on return
                loop.runOnLoop(() -> {
                    synchronized (engine) {
                        l.close();
                    }
                });
                engine.forwardRemoved(l.forward);
                return true;
            }
        }
        return false;
    }

    // ---- HostSide (called under the engine's lock) ----

    @Override
    public boolean tcpConnect(TcpFlow flow, int ip, int port) {
        int fd = Posix.socket(Posix.AF_INET, Posix.SOCK_STREAM | Posix.SOCK_NONBLOCK | Posix.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            later(() -> engine.hostRefused(flow));
            return false;
        }
        setInt(fd, Posix.IPPROTO_TCP, Posix.TCP_NODELAY, 1);
        sockaddr(addr, ip, port);
        boolean done;
        if (Posix.connect(fd, addr, Posix.SOCKADDR_IN_SIZE) == 0) {
            done = true;
        } else if (Posix.errno() == Posix.EINPROGRESS) {
            // a loopback handshake usually completes inside connect(2): one poll then spares the guest's SYN-ACK
            // the round trip through the loop (and a refused loopback connect is known at once)
            int now = connectedNow(fd);
            if (now < 0) {
                Posix.close(fd);
                later(() -> engine.hostRefused(flow));
                return false;
            }
            done = now > 0;
        } else {
            Posix.close(fd); // e.g. network unreachable: answered at once, not re-entrantly
            later(() -> engine.hostRefused(flow));
            return false;
        }
        flow.hostHandle = new TcpSock(fd, flow, !done);
        return done;
    }

    /**
     * 1 connected, 0 still connecting, -1 failed. A connect that failed reports POLLERR (or POLLHUP) beside
     * POLLOUT; POLLOUT alone is a connected socket, so SO_ERROR is read only when the answer is not that (one
     * system call less per connection).
     */
    private int connectedNow(int fd) {
        pollfd.setInt(0, fd);
        pollfd.setShort(4, Posix.POLLOUT);
        pollfd.setShort(6, (short) 0);
        if (Posix.poll(pollfd, 1, 0) <= 0) {
            return 0;
        }
        if (pollfd.getShort(6) == Posix.POLLOUT) {
            return 1;
        }
        return soError(fd) == 0 ? 1 : -1;
    }

    private int soError(int fd) {
        addrLen.setInt(0, 4);
        intOpt.setInt(0, 0);
        if (Posix.getsockopt(fd, Posix.SOL_SOCKET, Posix.SO_ERROR, intOpt, addrLen) != 0) {
            return Posix.errno();
        }
        return intOpt.getInt(0);
    }

    @Override
    public long tcpWrite(TcpFlow flow, ByteBuffer[] data) {
        TcpSock s = (TcpSock) flow.hostHandle;
        int total = 0;
        for (ByteBuffer b : data) {
            int n = Math.min(b.remaining(), SCRATCH - total);
            NativeCopy.out(scratch, scratchView, total, b.array(), b.arrayOffset() + b.position(), n);
            total += n;
        }
        if (total == 0) {
            return 0;
        }
        long r = Posix.send(s.fd, scratchAddress, total, Posix.MSG_DONTWAIT | Posix.MSG_NOSIGNAL);
        if (r < 0) {
            int e = Posix.errno();
            return e == Posix.EAGAIN || e == Posix.EINTR ? 0 : -1;
        }
        return r;
    }

    @Override
    public long tcpWrite(TcpFlow flow, byte[] data, int off, int len) {
        int n = Math.min(len, SCRATCH);
        if (n == 0) {
            return 0;
        }
        NativeCopy.out(scratch, scratchView, 0, data, off, n); // no ByteBuffer[] per request, as the general form
        long r = Posix.send(((TcpSock) flow.hostHandle).fd, scratchAddress, n, Posix.MSG_DONTWAIT | Posix.MSG_NOSIGNAL);
        if (r < 0) {
            int e = Posix.errno();
            return e == Posix.EAGAIN || e == Posix.EINTR ? 0 : -1;
        }
        return r;
    }

    @Override
    public void tcpInterest(TcpFlow flow, boolean read, boolean write) {
        TcpSock s = (TcpSock) flow.hostHandle;
        if (s == null || s.connecting || s.events < 0) {
            return;
        }
        s.watch((read ? Posix.EPOLLIN : 0) | (write ? Posix.EPOLLOUT : 0));
    }

    @Override
    public void tcpShutdownOutput(TcpFlow flow) {
        Posix.shutdown(((TcpSock) flow.hostHandle).fd, Posix.SHUT_WR); // a failure: the read side sees the reset
    }

    @Override
    public void tcpClose(TcpFlow flow, boolean reset) {
        TcpSock s = (TcpSock) flow.hostHandle;
        if (s == null || s.events < 0) {
            return;
        }
        if (reset) { // struct linger {int l_onoff; int l_linger;} = {1, 0}: close() sends RST
            intOpt.setInt(0, 1);
            intOpt.setInt(4, 0);
            Posix.setsockopt(s.fd, Posix.SOL_SOCKET, Posix.SO_LINGER, intOpt, 8);
        }
        s.close();
    }

    @Override
    public boolean udpOpen(UdpFlow flow, int ip, int port) {
        int fd = Posix.socket(Posix.AF_INET, Posix.SOCK_DGRAM | Posix.SOCK_NONBLOCK | Posix.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return false;
        }
        sockaddr(addr, ip, port);
        if (Posix.connect(fd, addr, Posix.SOCKADDR_IN_SIZE) != 0) {
            Posix.close(fd);
            return false;
        }
        flow.hostHandle = new UdpSock(fd, flow);
        return true;
    }

    @Override
    public boolean udpSend(UdpFlow flow, byte[] data, int off, int len) {
        if (len > SCRATCH) {
            return false;
        }
        NativeCopy.out(scratch, scratchView, 0, data, off, len);
        if (flow.hostHandle instanceof Peer p) {
            sockaddr(addr, (int) (p.address >>> 16), (int) (p.address & 0xffff));
            return Posix.sendto(p.listener.fd, scratch, len, Posix.MSG_DONTWAIT | Posix.MSG_NOSIGNAL, addr,
                    Posix.SOCKADDR_IN_SIZE) == len;
        }
        // a failure is e.g. ECONNREFUSED from an earlier ICMP port unreachable
        return Posix.send(((UdpSock) flow.hostHandle).fd, scratch, len, Posix.MSG_DONTWAIT | Posix.MSG_NOSIGNAL)
                == len;
    }

    @Override
    public void udpClose(UdpFlow flow) {
        if (flow.hostHandle instanceof Peer p) {
            p.listener.peers.remove(p.address);
        } else if (flow.hostHandle instanceof UdpSock s && s.events >= 0) {
            s.close();
        }
    }

    // ---- on the loop, under the engine's lock ----

    private void later(Runnable r) {
        loop.execute(r);
    }

    private void tcpReady(TcpSock s, int ev) {
        if (s.events < 0) {
            return; // closed by an earlier event of this round
        }
        TcpFlow f = s.flow;
        if (s.connecting) {
            int err = soError(s.fd);
            s.connecting = false;
            if (err == 0) {
                s.watch(0);
                engine.hostConnected(f);
            } else {
                s.close();
                engine.hostRefused(f);
            }
            return;
        }
        boolean failed = (ev & (Posix.EPOLLERR | Posix.EPOLLHUP)) != 0;
        if ((s.events & Posix.EPOLLOUT) != 0 && ((ev & Posix.EPOLLOUT) != 0 || failed)) {
            engine.hostWritable(f); // a failed socket fails the write: the engine resets the flow
        }
        if (s.events > 0 && (s.events & Posix.EPOLLIN) != 0 && ((ev & Posix.EPOLLIN) != 0 || failed)) {
            for (int i = 0; i < READS_PER_WAKEUP && s.events > 0; i++) {
                if (engine.hostReadRoom(f) == 0) {
                    break;
                }
                ByteBuffer[] views = engine.hostReadViews(f);
                int room = 0;
                for (ByteBuffer v : views) {
                    room += v.remaining();
                }
                long n = Posix.recv(s.fd, scratchAddress, Math.min(room, SCRATCH), Posix.MSG_DONTWAIT);
                if (n < 0) {
                    int e = Posix.errno();
                    if (e == Posix.EAGAIN || e == Posix.EINTR) {
                        return;
                    }
                    engine.hostReset(f);
                    return;
                }
                if (n == 0) {
                    engine.hostEof(f);
                    return;
                }
                int copied = 0;
                for (ByteBuffer v : views) {
                    int c = (int) Math.min(v.remaining(), n - copied);
                    NativeCopy.in(scratch, scratchView, copied, v.array(), v.arrayOffset() + v.position(), c);
                    copied += c;
                }
                engine.hostRead(f, (int) n);
                if (n < room) {
                    return; // the socket is drained
                }
            }
        }
    }

    private void udpReady(UdpSock s) {
        for (int i = 0; i < READS_PER_WAKEUP && s.events > 0; i++) {
            long n = Posix.recv(s.fd, scratchAddress, DATAGRAM, Posix.MSG_DONTWAIT);
            if (n < 0) {
                return; // EAGAIN; ICMP errors surface here too, and the flow idles out
            }
            NativeCopy.in(scratch, scratchView, 0, datagram, 0, (int) n);
            engine.hostDatagram(s.flow, datagram, 0, (int) n);
        }
    }

    private void accept(Listener l) {
        for (int i = 0; i < READS_PER_WAKEUP; i++) {
            int c = Posix.accept4(l.fd, null, null, Posix.SOCK_NONBLOCK | Posix.SOCK_CLOEXEC);
            if (c < 0) {
                int e = Posix.errno();
                if (e != Posix.EAGAIN && e != Posix.EINTR) {
                    log.warn("forward_accept_failed", "forward", l.forward, "error", Posix.strerror(e));
                }
                return;
            }
            setInt(c, Posix.IPPROTO_TCP, Posix.TCP_NODELAY, 1);
            TcpFlow f = engine.forwardAccepted(l.forward);
            if (f == null) {
                Posix.close(c);
                continue;
            }
            f.hostHandle = new TcpSock(c, f, false);
        }
    }

    private void forwardDatagram(Listener l) {
        for (int i = 0; i < READS_PER_WAKEUP && l.events > 0; i++) {
            addrLen.setInt(0, Posix.SOCKADDR_IN_SIZE);
            long n = Posix.recvfrom(l.fd, scratch, DATAGRAM, Posix.MSG_DONTWAIT, addr, addrLen);
            if (n < 0) {
                return;
            }
            long from = (Integer.toUnsignedLong(ip(addr)) << 16) | port(addr);
            UdpFlow f = l.peers.get(from);
            if (f == null) {
                f = engine.forwardDatagramFlow(l.forward);
                if (f == null) {
                    continue;
                }
                f.hostHandle = new Peer(l, from);
                l.peers.put(from, f);
            }
            NativeCopy.in(scratch, scratchView, 0, datagram, 0, (int) n);
            engine.hostDatagram(f, datagram, 0, (int) n);
        }
    }

    // ---- sockaddr_in and options ----

    private void setInt(int fd, int level, int name, int value) {
        intOpt.setInt(0, value);
        Posix.setsockopt(fd, level, name, intOpt, 4);
    }

    /** Fills a sockaddr_in: family in host order, port and address in network order. */
    private static void sockaddr(Memory a, int ip, int port) {
        a.clear();
        a.setShort(0, (short) Posix.AF_INET);
        a.setByte(2, (byte) (port >>> 8));
        a.setByte(3, (byte) port);
        for (int i = 0; i < 4; i++) {
            a.setByte(4 + i, (byte) (ip >>> (24 - 8 * i)));
        }
    }

    private static int port(Memory a) {
        return ((a.getByte(2) & 0xff) << 8) | (a.getByte(3) & 0xff);
    }

    private static int ip(Memory a) {
        int ip = 0;
        for (int i = 0; i < 4; i++) {
            ip = (ip << 8) | (a.getByte(4 + i) & 0xff);
        }
        return ip;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        loop.timer(null, null);
        for (Listener l : listeners) {
            synchronized (engine) {
                l.close();
            }
        }
        listeners.clear();
        synchronized (engine) {
            for (Sock s : List.copyOf(open)) {
                s.close();
            }
        }
    }
}
