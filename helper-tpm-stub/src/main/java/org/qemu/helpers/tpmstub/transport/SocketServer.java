package org.qemu.helpers.tpmstub.transport;

import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.qemu.helpers.common.listen.Listen;

/** Accepts connections on one endpoint and runs a handler per connection on its own thread. */
public final class SocketServer implements Closeable {
    /** Serves one accepted connection until it ends; exceptions end only that connection. */
    public interface Handler {
        void serve(Socket s) throws IOException;
    }

    private final ServerSocket server;
    private final Endpoint endpoint;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    private SocketServer(ServerSocket server, Endpoint endpoint, String name, Handler handler) {
        this.server = server;
        this.endpoint = endpoint;
        this.acceptor = new Thread(() -> acceptLoop(name, handler), name + "-accept");
        acceptor.setDaemon(true);
    }

    /** Binds the endpoint (a stale Unix socket file nobody listens on is replaced) and starts accepting. */
    public static SocketServer start(Endpoint ep, String name, Handler handler) throws IOException {
        ServerSocket ss;
        if (ep instanceof Endpoint.Unix u) {
            File f = u.path().toFile();
            // only ever replace a leftover socket: never a regular file, directory, symlink or live socket
            Listen.claimUnixPath(u.path());
            AFUNIXServerSocket us = AFUNIXServerSocket.newInstance();
            us.bind(AFUNIXSocketAddress.of(f), 16);
            ss = us;
        } else {
            Endpoint.Tcp t = (Endpoint.Tcp) ep;
            // a blocking NIO channel: its socket adaptor reads with one blocking read(2) per call,
            // where java.net.Socket's own implementation polls first (a measurable cost per command)
            ss = Listen.tcp(new InetSocketAddress(t.host(), t.port()), 16).socket();
        }
        SocketServer s = new SocketServer(ss, ep, name, handler);
        s.acceptor.start();
        return s;
    }

    /** The bound TCP port (for tcp:HOST:0), or -1 for a Unix socket. */
    public int port() {
        return endpoint instanceof Endpoint.Tcp ? server.getLocalPort() : -1;
    }

    private void acceptLoop(String name, Handler handler) {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            open.add(s);
            Thread t = new Thread(() -> {
                try (s) {
                    handler.serve(s);
                } catch (IOException | RuntimeException e) {
                    // the connection ends; the server goes on
                } finally {
                    open.remove(s);
                }
            }, name + "-conn");
            t.setDaemon(true);
            t.start();
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        if (endpoint instanceof Endpoint.Unix u) {
            Files.deleteIfExists(u.path());
        }
    }
}
