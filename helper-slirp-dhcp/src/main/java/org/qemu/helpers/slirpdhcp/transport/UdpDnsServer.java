package org.qemu.helpers.slirpdhcp.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.slirpdhcp.engine.DnsResolver;

/**
 * DNS over UDP. Local and cached answers are sent from the receiving threads; a forwarded query's reply is sent
 * when its upstream answers (the resolver's stage completes), so a slow upstream never stalls local names and
 * holds no thread. Several sockets share the port (SO_REUSEPORT), one receiving thread each (two threads on one
 * socket measured slower: they contend for its lock).
 */
public final class UdpDnsServer implements AutoCloseable {
    private final List<DatagramChannel> channels = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final DnsResolver resolver;
    private final EventLog log;
    private final int udpLimit;
    private volatile boolean closed;

    public UdpDnsServer(InetSocketAddress bind, int sockets, DnsResolver resolver, int udpLimit,
                        EventLog log) throws IOException {
        this.resolver = resolver;
        this.log = log;
        this.udpLimit = udpLimit;
        int port = bind.getPort();
        for (int i = 0; i < sockets; i++) {
            DatagramChannel ch = DatagramChannel.open(java.net.StandardProtocolFamily.INET);
            ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
            ch.bind(new InetSocketAddress(bind.getAddress(), port));
            port = ((InetSocketAddress) ch.getLocalAddress()).getPort();
            channels.add(ch);
            Thread t = new Thread(() -> run(ch), "dns-udp-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
    }

    public int port() throws IOException {
        return ((InetSocketAddress) channels.get(0).getLocalAddress()).getPort();
    }

    public void start() {
        threads.forEach(Thread::start);
    }

    private void run(DatagramChannel ch) {
        // direct buffers: a heap buffer would be copied through a temporary direct one on every call
        ByteBuffer buf = ByteBuffer.allocateDirect(65536);
        ByteBuffer out = ByteBuffer.allocateDirect(65536);
        while (!closed) {
            try {
                buf.clear();
                SocketAddress from = ch.receive(buf);
                buf.flip();
                byte[] q = new byte[buf.remaining()];
                buf.get(q);
                DnsResolver.Result r = resolver.handle(q, udpLimit);
                if (r instanceof DnsResolver.Reply reply) {
                    out.clear();
                    out.put(reply.wire()).flip();
                    ch.send(out, from);
                } else if (r instanceof DnsResolver.Forward fwd) {
                    resolver.forward(fwd).thenAccept(wire -> {
                        try {
                            ch.send(ByteBuffer.wrap(wire), from);
                        } catch (IOException e) {
                            log.warn("dns_send_failed", "error", e.getMessage());
                        }
                    });
                }
            } catch (java.nio.channels.ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!closed) {
                    log.error("dns_socket_error", "error", e.getMessage());
                }
            } catch (RuntimeException e) {
                log.error("dns_unexpected", "error", e);
                e.printStackTrace();
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        for (DatagramChannel ch : channels) {
            ch.close();
        }
    }
}
