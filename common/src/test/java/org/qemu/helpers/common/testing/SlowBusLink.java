package org.qemu.helpers.common.testing;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A unix-socket relay in front of a {@link PrivateBus} whose client-to-daemon direction carries at most
 * {@code bytesPerSecond}: a helper connected through it sees a bus daemon that reads its messages slowly, as a
 * dbus-daemon does on a loaded machine (load average 19: the helper's writes block and its messages queue in
 * dbus-java). The other direction is not slowed. The daemon sees the relay's (the test's own) credentials.
 */
public final class SlowBusLink implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Path socket;
    private final Path daemonSocket;
    private final long bytesPerSecond;
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public SlowBusLink(PrivateBus bus, long bytesPerSecond) throws IOException {
        this.daemonSocket = bus.dir().resolve("bus.sock");
        this.socket = Files.createTempDirectory(bus.dir(), "slow").resolve("link.sock");
        this.bytesPerSecond = bytesPerSecond;
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread t = new Thread(this::acceptLoop, "slow-bus-accept");
        t.setDaemon(true);
        t.start();
    }

    /** The address to connect to instead of the bus's. */
    public String address() {
        return "unix:path=" + socket;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel client = server.accept();
                SocketChannel daemon = SocketChannel.open(UnixDomainSocketAddress.of(daemonSocket));
                open.add(client);
                open.add(daemon);
                start("slow-bus-up", () -> relay(client, daemon, bytesPerSecond));
                start("slow-bus-down", () -> relay(daemon, client, 0));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void start(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    /** Copies {@code from} to {@code to}, paced to {@code rate} bytes a second (0: as fast as it comes). */
    private static void relay(SocketChannel from, SocketChannel to, long rate) {
        ByteBuffer buf = ByteBuffer.allocate(rate > 0 ? 1024 : 65536);
        long due = System.nanoTime(); // when the bytes relayed so far have been paid for: idle time is no credit
        try {
            while (from.read(buf) >= 0) {
                buf.flip();
                int n = buf.remaining();
                while (buf.hasRemaining()) {
                    to.write(buf);
                }
                buf.clear();
                if (rate > 0) {
                    due = Math.max(due, System.nanoTime()) + n * 1_000_000_000L / rate;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
                    }
                }
            }
        } catch (IOException | InterruptedException e) {
            // one side went away: close both
        } finally {
            try {
                from.close();
                to.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (SocketChannel c : open) {
            c.close();
        }
    }
}
