package org.qemu.helpers.slirpdhcp.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.frame.FrameBatch;
import org.qemu.helpers.slirpdhcp.engine.nat.Forward;
import org.qemu.helpers.slirpdhcp.engine.nat.HostSide;
import org.qemu.helpers.slirpdhcp.engine.nat.NatEngine;
import org.qemu.helpers.slirpdhcp.engine.nat.TcpFlow;
import org.qemu.helpers.slirpdhcp.engine.nat.UdpFlow;

/**
 * The host side of the NAT: one non-blocking socket per flow and one listener per forward, all on one selector
 * thread that reports readiness to the {@link NatEngine} and runs its timers. The guest side (the front end's
 * thread) calls in through {@link HostSide}, under the engine's lock; selector-side work takes the same lock,
 * so a flow's buffers are touched by one thread at a time.
 */
public final class NatSockets implements HostSide, AutoCloseable {
    private static final int READS_PER_WAKEUP = 4;

    private final NatEngine engine;
    private final EventLog log;
    private final Selector selector;
    private final Thread thread;
    private final Queue<Runnable> pending = new ConcurrentLinkedQueue<>();
    private final ByteBuffer datagram = ByteBuffer.allocate(65536);
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    /** A forward's bound socket; for UDP also the flow of each host peer. */
    private static final class Listener {
        final Forward forward;
        final SelectableChannel channel;
        final Map<SocketAddress, UdpFlow> peers = new HashMap<>();

        Listener(Forward forward, SelectableChannel channel) {
            this.forward = forward;
            this.channel = channel;
        }
    }

    /** A UDP forward flow's way back: the forward's socket and the host peer's address. */
    private record Peer(Listener listener, SocketAddress address) {
    }

    public NatSockets(NatEngine engine, EventLog log) throws IOException {
        this.engine = engine;
        this.log = log;
        this.selector = Selector.open();
        engine.host(this);
        this.thread = new Thread(this::loop, "nat-sockets");
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    // ---- forwards ----

    /** Binds a forward's host socket; the returned forward has the port actually bound (for host port 0). */
    public Forward listen(Forward fwd) throws IOException {
        InetSocketAddress at = new InetSocketAddress(Ip4.inet(fwd.hostAddr()), fwd.hostPort());
        SelectableChannel ch;
        int port;
        if (fwd.proto().equals("tcp")) {
            ServerSocketChannel s = ServerSocketChannel.open();
            s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            s.bind(at, 128);
            port = ((InetSocketAddress) s.getLocalAddress()).getPort();
            ch = s;
        } else {
            DatagramChannel d = DatagramChannel.open();
            d.bind(at);
            port = ((InetSocketAddress) d.getLocalAddress()).getPort();
            ch = d;
        }
        ch.configureBlocking(false);
        Forward bound = new Forward(fwd.proto(), fwd.hostAddr(), port, fwd.guestAddr(), fwd.guestPort());
        Listener l = new Listener(bound, ch);
        listeners.add(l);
        register(ch, ch instanceof ServerSocketChannel ? SelectionKey.OP_ACCEPT : SelectionKey.OP_READ, l);
        return bound;
    }

    /** Closes a forward's host socket and its UDP flows; connections already accepted go on. */
    public boolean unlisten(Forward fwd) {
        for (Listener l : listeners) {
            if (l.forward.sameHostSide(fwd)) {
                listeners.remove(l);
                closeOnSelectorThread(l.channel);
                engine.forwardRemoved(l.forward);
                return true;
            }
        }
        return false;
    }

    /**
     * Closes a registered channel and returns once its socket is really closed: the JDK defers the close of a
     * registered channel until the selector deregisters it, and a forward's port must be free when this returns
     * (a Load may bind it again at once).
     */
    private void closeOnSelectorThread(SelectableChannel ch) {
        Runnable close = () -> {
            SelectionKey k = ch.keyFor(selector);
            if (k != null) {
                k.cancel();
            }
            closeQuietly(ch);
            try {
                selector.selectNow(); // deregisters the cancelled key, which closes the socket
            } catch (IOException e) {
                // the loop's next select deregisters it
            }
        };
        if (Thread.currentThread() == thread || !thread.isAlive()) {
            close.run();
            return;
        }
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        later(() -> {
            close.run();
            done.complete(null);
        });
        try {
            done.get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("forward_close_slow", "error", e);
        }
    }

    // ---- HostSide (called under the engine's lock) ----

    @Override
    public boolean tcpConnect(TcpFlow flow, int ip, int port) {
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open();
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            // a loopback handshake usually completes inside connect(2): one poll then spares the guest's SYN-ACK
            // the round trip through this selector's thread
            boolean done = ch.connect(new InetSocketAddress(Ip4.inet(ip), port)) || ch.finishConnect();
            flow.hostHandle = ch.register(selector, done ? 0 : SelectionKey.OP_CONNECT, flow);
            selector.wakeup();
            return done;
        } catch (IOException e) {
            if (ch != null) {
                closeQuietly(ch); // a refused loopback connect fails in finishConnect, at once
            }
            later(() -> engine.hostRefused(flow)); // e.g. network unreachable: answered at once, not re-entrantly
            return false;
        }
    }

    @Override
    public long tcpWrite(TcpFlow flow, ByteBuffer[] data) {
        SelectionKey k = (SelectionKey) flow.hostHandle;
        try {
            return ((SocketChannel) k.channel()).write(data);
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public void tcpInterest(TcpFlow flow, boolean read, boolean write) {
        SelectionKey k = (SelectionKey) flow.hostHandle;
        if (k == null || !k.isValid() || (k.interestOps() & SelectionKey.OP_CONNECT) != 0) {
            return;
        }
        int ops = (read ? SelectionKey.OP_READ : 0) | (write ? SelectionKey.OP_WRITE : 0);
        if (k.interestOps() != ops) {
            k.interestOps(ops);
            if (Thread.currentThread() != thread) {
                selector.wakeup(); // a blocked select only sees the new interest when it returns
            }
        }
    }

    @Override
    public void tcpShutdownOutput(TcpFlow flow) {
        try {
            ((SocketChannel) ((SelectionKey) flow.hostHandle).channel()).shutdownOutput();
        } catch (IOException e) {
            // the read side will see the reset
        }
    }

    @Override
    public void tcpClose(TcpFlow flow, boolean reset) {
        SelectionKey k = (SelectionKey) flow.hostHandle;
        if (k == null) {
            return;
        }
        k.cancel();
        SocketChannel ch = (SocketChannel) k.channel();
        try {
            if (reset) {
                ch.setOption(StandardSocketOptions.SO_LINGER, 0); // close() then sends RST
            }
        } catch (IOException e) {
            // closing anyway
        }
        closeQuietly(ch);
    }

    @Override
    public boolean udpOpen(UdpFlow flow, int ip, int port) {
        try {
            DatagramChannel ch = DatagramChannel.open();
            ch.configureBlocking(false);
            ch.connect(new InetSocketAddress(Ip4.inet(ip), port));
            flow.hostHandle = ch.register(selector, SelectionKey.OP_READ, flow);
            selector.wakeup();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public boolean udpSend(UdpFlow flow, byte[] data, int off, int len) {
        try {
            ByteBuffer b = ByteBuffer.wrap(data, off, len);
            if (flow.hostHandle instanceof Peer p) {
                return ((DatagramChannel) p.listener.channel).send(b, p.address) > 0 || len == 0;
            }
            return ((DatagramChannel) ((SelectionKey) flow.hostHandle).channel()).write(b) == len;
        } catch (IOException e) {
            return false; // e.g. ECONNREFUSED from an earlier ICMP port unreachable
        }
    }

    @Override
    public void udpClose(UdpFlow flow) {
        if (flow.hostHandle instanceof Peer p) {
            p.listener.peers.remove(p.address);
        } else if (flow.hostHandle instanceof SelectionKey k) {
            k.cancel();
            closeQuietly(k.channel());
        }
    }

    // ---- the selector thread ----

    private void later(Runnable r) {
        pending.add(r);
        selector.wakeup();
    }

    private void register(SelectableChannel ch, int ops, Object att) throws ClosedChannelException {
        ch.register(selector, ops, att);
        selector.wakeup();
    }

    private void loop() {
        while (!closed) {
            try {
                long due = engine.nextDeadline();
                selector.select(Math.max(1, due - System.currentTimeMillis()));
                FrameBatch.begin(); // the frames of one round go to a stream guest with one write
                try {
                    Runnable r;
                    while ((r = pending.poll()) != null) {
                        r.run();
                    }
                    for (SelectionKey k : selector.selectedKeys()) {
                        ready(k);
                    }
                    selector.selectedKeys().clear();
                    if (System.currentTimeMillis() >= due) {
                        engine.tick(); // timers and reaping when due, not on every wake-up (a scan of all flows)
                    }
                } finally {
                    FrameBatch.end();
                }
            } catch (IOException | RuntimeException e) {
                if (!closed) {
                    log.error("nat_loop_error", "error", e);
                }
            }
        }
    }

    private void ready(SelectionKey k) {
        if (!k.isValid()) {
            return;
        }
        Object att = k.attachment();
        if (att instanceof TcpFlow f) {
            synchronized (engine) {
                tcpReady(k, f);
            }
        } else if (att instanceof UdpFlow f) {
            udpReady(k, f);
        } else if (att instanceof Listener l) {
            if (l.channel instanceof ServerSocketChannel s) {
                accept(l, s);
            } else {
                forwardDatagram(l);
            }
        }
    }

    private void tcpReady(SelectionKey k, TcpFlow f) {
        SocketChannel ch = (SocketChannel) k.channel();
        if (k.isConnectable()) {
            try {
                ch.finishConnect();
                k.interestOps(0);
                engine.hostConnected(f);
            } catch (IOException e) {
                k.cancel();
                closeQuietly(ch);
                engine.hostRefused(f);
            }
            return;
        }
        if (k.isValid() && k.isWritable()) {
            engine.hostWritable(f);
        }
        if (k.isValid() && k.isReadable()) {
            for (int i = 0; i < READS_PER_WAKEUP && k.isValid(); i++) {
                if (engine.hostReadRoom(f) == 0) {
                    break;
                }
                long n;
                try {
                    n = ch.read(engine.hostReadViews(f));
                } catch (IOException e) {
                    engine.hostReset(f);
                    return;
                }
                if (n < 0) {
                    engine.hostEof(f);
                    return;
                }
                if (n == 0) {
                    return;
                }
                engine.hostRead(f, (int) n);
            }
        }
    }

    private void udpReady(SelectionKey k, UdpFlow f) {
        DatagramChannel ch = (DatagramChannel) k.channel();
        for (int i = 0; i < READS_PER_WAKEUP; i++) {
            datagram.clear();
            try {
                if (ch.receive(datagram) == null) {
                    return;
                }
            } catch (IOException e) {
                return; // ICMP errors surface here; the flow idles out
            }
            engine.hostDatagram(f, datagram.array(), 0, datagram.position());
        }
    }

    private void accept(Listener l, ServerSocketChannel s) {
        try {
            SocketChannel c = s.accept();
            if (c == null) {
                return;
            }
            c.configureBlocking(false);
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            synchronized (engine) {
                TcpFlow f = engine.forwardAccepted(l.forward);
                if (f == null) {
                    closeQuietly(c);
                    return;
                }
                f.hostHandle = c.register(selector, 0, f);
            }
        } catch (IOException e) {
            log.warn("forward_accept_failed", "forward", l.forward, "error", e.getMessage());
        }
    }

    private void forwardDatagram(Listener l) {
        DatagramChannel ch = (DatagramChannel) l.channel;
        for (int i = 0; i < READS_PER_WAKEUP; i++) {
            datagram.clear();
            SocketAddress from;
            try {
                from = ch.receive(datagram);
            } catch (IOException e) {
                return;
            }
            if (from == null) {
                return;
            }
            synchronized (engine) {
                UdpFlow f = l.peers.get(from);
                if (f == null) {
                    f = engine.forwardDatagramFlow(l.forward);
                    if (f == null) {
                        continue;
                    }
                    f.hostHandle = new Peer(l, from);
                    l.peers.put(from, f);
                }
                engine.hostDatagram(f, datagram.array(), 0, datagram.position());
            }
        }
    }

    private static void closeQuietly(java.nio.channels.Channel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SelectionKey k : selector.keys()) {
            closeQuietly(k.channel());
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
