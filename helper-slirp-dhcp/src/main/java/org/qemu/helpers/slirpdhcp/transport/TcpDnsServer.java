package org.qemu.helpers.slirpdhcp.transport;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.slirpdhcp.engine.DnsResolver;

/** DNS over TCP (RFC 1035 4.2.2, RFC 7766): 2-byte length prefix, several queries per connection, idle timeout. */
public final class TcpDnsServer implements AutoCloseable {
    public static final int IDLE_MS = 10_000;

    private final ServerSocket server;
    private final DnsResolver resolver;
    private final ExecutorService connections;
    private final EventLog log;
    private final Thread acceptor;
    private volatile boolean closed;

    public TcpDnsServer(InetSocketAddress bind, DnsResolver resolver, ExecutorService connections,
                        EventLog log) throws IOException {
        this.resolver = resolver;
        this.connections = connections;
        this.log = log;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(bind, 64);
        this.acceptor = new Thread(this::acceptLoop, "dns-tcp");
        acceptor.setDaemon(true);
    }

    public int port() {
        return server.getLocalPort();
    }

    public void start() {
        acceptor.start();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                try {
                    connections.execute(() -> serve(s));
                } catch (RejectedExecutionException e) {
                    s.close();
                }
            } catch (IOException e) {
                if (!closed) {
                    log.warn("dns_tcp_accept_failed", "error", e.getMessage());
                }
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setSoTimeout(IDLE_MS);
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            while (true) {
                int len;
                try {
                    len = in.readUnsignedShort();
                } catch (EOFException | SocketTimeoutException e) {
                    return;
                }
                byte[] q = new byte[len];
                in.readFully(q);
                // this connection's own thread waits for a forwarded answer (bounded by the upstream timeouts)
                byte[] r = resolver.resolve(q, 0).toCompletableFuture().join();
                if (r == null) {
                    return; // not a query: close, as RFC 7766 6.2.4 permits
                }
                out.writeShort(r.length);
                out.write(r);
                out.flush();
            }
        } catch (IOException e) {
            // peer went away
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
    }
}
