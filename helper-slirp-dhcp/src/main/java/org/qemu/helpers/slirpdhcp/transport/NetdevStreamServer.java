package org.qemu.helpers.slirpdhcp.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.qemu.helpers.common.listen.Listen;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.frame.FrameArrays;
import org.qemu.helpers.slirpdhcp.engine.frame.FrameBatch;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestPort;
import org.qemu.helpers.common.log.EventLog;

/**
 * The Unix socket QEMU's {@code -netdev stream,server=off,addr.type=unix} connects to: each Ethernet frame is
 * preceded by its length as a 4-byte big-endian integer. Accepts again after a disconnect (QEMU reconnects);
 * a length that cannot be a frame ends that connection, since the stream cannot be resynchronised.
 */
public final class NetdevStreamServer implements FrameFrontEnd {
    /** Larger than any frame with its length, so a whole frame always fits after a compact. */
    private static final int READ_BUFFER = 256 * 1024;
    /** Frames queued for one write at most (several full frames: a batch's write is rarely split). */
    private static final int OUT_BUFFER = 256 * 1024;

    private final Path path;
    private final ServerSocketChannel server;
    private final GuestPort link;
    private final Statistics stats;
    private final EventLog log;
    private final Thread acceptor;
    private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();
    private final java.util.Map<SocketChannel, ByteBuffer> outBuffers = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public NetdevStreamServer(Path path, GuestPort link, Statistics stats, EventLog log) throws IOException {
        this.path = path;
        this.link = link;
        this.stats = stats;
        this.log = log;
        // a stale socket from a previous run is replaced; anything else there is refused, never deleted
        this.server = Listen.unixStream(path, 50);
        this.acceptor = new Thread(this::acceptLoop, "netdev-accept");
        acceptor.setDaemon(true);
    }

    @Override
    public void start() {
        acceptor.start();
    }

    @Override
    public String describe() {
        return "stream " + path;
    }

    private void acceptLoop() {
        int n = 0;
        while (!closed) {
            try {
                SocketChannel c = server.accept();
                clients.add(c);
                log.info("netdev_connected", "path", path);
                Thread t = new Thread(() -> serve(c), "netdev-conn-" + (++n));
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) {
                    log.warn("netdev_accept_failed", "error", e.getMessage());
                }
            }
        }
    }

    private void serve(SocketChannel c) {
        Runnable flush = () -> flush(c);
        Consumer<byte[]> out = frame -> write(c, frame, flush);
        // one read takes every frame QEMU has written so far (not two reads per frame); the frames of one read are
        // one burst for the link, which may acknowledge them together
        ByteBuffer in = ByteBuffer.allocateDirect(READ_BUFFER);
        FrameArrays arrays = new FrameArrays(); // this connection's reader only
        link.attach(out);
        try {
            while (c.read(in) >= 0) {
                in.flip();
                long bad = LengthPrefixedFrames.deliver(in, arrays, link, out);
                link.burstEnd();
                if (bad != LengthPrefixedFrames.OK) {
                    stats.inc(Statistics.DROPPED_MALFORMED);
                    log.warn("netdev_bad_length", "length", bad, "action", "disconnect");
                    break;
                }
                in.compact();
            }
        } catch (IOException e) {
            // connection lost
        } finally {
            link.burstEnd();
            link.detach(out);
            clients.remove(c);
            synchronized (c) {
                outBuffers.remove(c);
            }
            try {
                c.close();
            } catch (IOException ignored) {
                // closing
            }
            if (!closed) {
                log.info("netdev_disconnected", "path", path);
            }
        }
    }

    /**
     * Queues one frame behind its length in the connection's direct buffer (used under the connection's lock: the
     * frame is copied once, no buffer per frame) and sends the buffer now, or, inside a {@link FrameBatch}, once at
     * the batch's end: QEMU then reads many frames per read, and both sides make one system call for them.
     */
    private void write(SocketChannel c, byte[] frame, Runnable flush) {
        synchronized (c) {
            if (!clients.contains(c)) {
                return; // the connection ended: no buffer for it again
            }
            ByteBuffer b = outBuffers.computeIfAbsent(c, k -> ByteBuffer.allocateDirect(OUT_BUFFER));
            if (b.remaining() < 4 + frame.length) {
                send(c, b);
            }
            b.putInt(frame.length).put(frame);
            stats.inc("frames_out");
            if (!FrameBatch.defer(flush)) {
                send(c, b);
            }
        }
    }

    private void flush(SocketChannel c) {
        synchronized (c) {
            ByteBuffer b = outBuffers.get(c);
            if (b != null && clients.contains(c)) {
                send(c, b);
            }
        }
    }

    /** Writes what {@code b} holds (in write mode) and empties it; the caller holds the connection's lock. */
    private static void send(SocketChannel c, ByteBuffer b) {
        b.flip();
        try {
            while (b.hasRemaining()) {
                c.write(b);
            }
        } catch (IOException e) {
            // the reader side notices and closes
        }
        b.clear();
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
            for (SocketChannel c : clients) {
                c.close();
            }
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // closing anyway; the next run replaces a stale socket
        }
    }
}
