package org.qemu.helpers.slirpdhcp.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.slirpdhcp.engine.DhcpCodec;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessage;
import org.qemu.helpers.slirpdhcp.engine.DhcpReply;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.MalformedException;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.store.DurableDhcp;

/**
 * DHCP over a plain UDP socket (a real interface or a network namespace). Binds the wildcard address so that
 * broadcasts arrive. Every datagram waiting in the socket is served as one batch under one fsync, then the replies
 * go out: to giaddr:67 for relays, to ciaddr for configured clients, else to the subnet broadcast address (an
 * unconfigured client cannot be reached by unicast without raw sockets; RFC 2131 4.1 allows broadcast).
 */
public final class UdpDhcpServer implements AutoCloseable {
    public static final int MAX_BATCH = 256;

    private final DatagramChannel channel;
    private final Selector selector;
    private final DurableDhcp dhcp;
    private final NetworkConfig cfg;
    private final Statistics stats;
    private final EventLog log;
    private final int clientPort;
    private final int serverPort;
    private final Thread thread;
    private final Thread sender;
    private volatile boolean closed;

    public UdpDhcpServer(InetSocketAddress bind, int clientPort, DurableDhcp dhcp, NetworkConfig cfg,
                         Statistics stats, EventLog log) throws IOException {
        this.dhcp = dhcp;
        this.cfg = cfg;
        this.stats = stats;
        this.log = log;
        this.clientPort = clientPort;
        this.channel = DatagramChannel.open(java.net.StandardProtocolFamily.INET);
        channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        channel.setOption(StandardSocketOptions.SO_BROADCAST, true);
        channel.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
        channel.bind(bind);
        this.serverPort = ((InetSocketAddress) channel.getLocalAddress()).getPort();
        channel.configureBlocking(false);
        this.selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
        this.thread = new Thread(this::run, "dhcp-udp");
        thread.setDaemon(true);
        this.sender = new Thread(this::sendLoop, "dhcp-udp-commit");
        sender.setDaemon(true);
    }

    public void start() {
        thread.start();
        sender.start();
    }

    public int port() {
        return serverPort;
    }

    private record In(DhcpMessage msg, InetSocketAddress from) {
    }

    private record Batch(List<In> in, DurableDhcp.Prepared prepared) {
    }

    private final java.util.concurrent.BlockingQueue<Batch> pending = new java.util.concurrent.ArrayBlockingQueue<>(64);

    private void sendLoop() {
        List<Batch> batches = new ArrayList<>();
        while (!closed || !pending.isEmpty()) {
            try {
                Batch first = pending.poll(500, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batches.clear();
                batches.add(first);
                pending.drainTo(batches);
                for (Batch b : batches) {
                    // one fsync covers every batch drained here: the first complete() syncs up to the newest append
                    List<Optional<DhcpReply>> replies = dhcp.complete(b.prepared());
                    for (int i = 0; i < replies.size(); i++) {
                        if (replies.get(i).isPresent()) {
                            send(replies.get(i).get(), b.in().get(i).from());
                        }
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                log.warn("dhcp_send_error", "error", e);
            }
        }
    }

    private void run() {
        ByteBuffer buf = ByteBuffer.allocate(65536);
        while (!closed) {
            try {
                selector.select(1000);
                selector.selectedKeys().clear();
                List<In> batch = new ArrayList<>();
                while (batch.size() < MAX_BATCH) {
                    buf.clear();
                    InetSocketAddress from = (InetSocketAddress) channel.receive(buf);
                    if (from == null) {
                        break;
                    }
                    buf.flip();
                    byte[] data = new byte[buf.remaining()];
                    buf.get(data);
                    stats.inc("dhcp_datagrams_in");
                    try {
                        batch.add(new In(DhcpCodec.decode(data), from));
                    } catch (MalformedException e) {
                        stats.inc(Statistics.DROPPED_MALFORMED);
                    }
                }
                if (batch.isEmpty()) {
                    continue;
                }
                List<DhcpMessage> msgs = new ArrayList<>(batch.size());
                batch.forEach(i -> msgs.add(i.msg()));
                // handled and journalled here; the fsync and the replies happen on the sender thread, so the next
                // batch is read and handled while this one reaches the disk (pipelined group commit)
                pending.put(new Batch(batch, dhcp.prepare(msgs)));
            } catch (IOException e) {
                if (!closed) {
                    log.error("dhcp_socket_error", "error", e.getMessage());
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.error("dhcp_unexpected", "error", e);
                e.printStackTrace();
            }
        }
    }

    private void send(DhcpReply r, InetSocketAddress from) throws IOException {
        InetSocketAddress to = switch (r.delivery()) {
            case RELAY -> new InetSocketAddress(Ip4.inet(r.destIp()), serverPort == 67 ? 67 : from.getPort());
            case CIADDR -> new InetSocketAddress(Ip4.inet(r.destIp()), clientPort);
            default -> new InetSocketAddress(Ip4.inet(cfg.broadcast()), clientPort);
        };
        ByteBuffer out = ByteBuffer.wrap(r.encode());
        try {
            channel.send(out, to);
        } catch (IOException e) {
            log.warn("dhcp_send_failed", "to", to, "error", e.getMessage());
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        selector.wakeup();
        try {
            thread.join(2000);
            sender.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        selector.close();
        channel.close();
    }
}
