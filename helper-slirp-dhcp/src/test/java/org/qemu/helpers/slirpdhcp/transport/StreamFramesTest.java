package org.qemu.helpers.slirpdhcp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.slirpdhcp.Settings;
import org.qemu.helpers.slirpdhcp.engine.DhcpCodec;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessage;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessageType;
import org.qemu.helpers.slirpdhcp.engine.DhcpOption;
import org.qemu.helpers.slirpdhcp.engine.DhcpOptions;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.frame.Frames;

/**
 * The length-prefixed stream front ends on the event loop ({@link StreamConnection} behind {@code --fd} with a
 * SOCK_STREAM socketpair and behind {@code --netdev-socket}), with real kernel sockets in this process: frames cut
 * anywhere by the reads, many frames in one read, and a peer that stops reading and resumes: every answer
 * arrives, in order, none dropped (DHCP DISCOVERs numbered by their xid, each answered by an OFFER with the same
 * xid, RFC 2131 4.1).
 */
class StreamFramesTest extends FrontEndFixture {
    private static final long SEED = Long.getLong("streamframes.seed", 20261202L);

    /** --netdev-socket PATH, and {@link #peer} connected to it as QEMU's -netdev stream,server=off does. */
    void startNetdev() throws IOException {
        Path sock = dir.resolve("netdev.sock");
        start(new Settings.Guest.NetdevStream(sock));
        peer = Posix.socket(Posix.AF_UNIX, Posix.SOCK_STREAM | Posix.SOCK_CLOEXEC, 0);
        try (Memory a = Posix.unixAddress(sock.toString())) {
            assertEquals(0, Posix.connect(peer, a, Posix.unixAddressLength(sock.toString())), Posix.lastError());
        }
    }

    static byte[] discover(int xid) {
        DhcpOptions o = new DhcpOptions().putU8(DhcpOption.MESSAGE_TYPE, DhcpMessageType.DISCOVER.code());
        byte[] dhcp = DhcpCodec.encode(new DhcpMessage(1, 1, 0, xid, 0, 0, 0, 0, 0, 0,
                SocketsHostileAndNetdevTest.GUEST.bytes(), o), 1472);
        return FdFrontEndTest.lengthPrefixed(Frames.udpFrame(Mac.BROADCAST, SocketsHostileAndNetdevTest.GUEST, 0, -1,
                68, 67, dhcp));
    }

    /** DISCOVERs with xids from {@code first}, length-prefixed, back to back. */
    static byte[] discovers(int first, int n) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
            b.writeBytes(discover(first + i));
        }
        return b.toByteArray();
    }

    /** Sends all of {@code b} (blocking socket): returns when the kernel took the last byte. */
    static void sendAll(int fd, byte[] b, int off, int len) {
        Memory m = new Memory(Math.max(1, len));
        m.write(0, b, off, len);
        long done = 0;
        while (done < len) {
            long r = Posix.send(fd, m.share(done), len - done, Posix.MSG_NOSIGNAL);
            if (r < 0) {
                throw new AssertionError("send: " + Posix.lastError());
            }
            done += r;
        }
    }

    /**
     * Reads frames until {@code n} have arrived (or 30 s passed) and checks each is an OFFER with the next xid
     * from {@code first}: nothing lost, nothing reordered, no frame torn.
     */
    static void expectOffers(int fd, int first, int n) throws Exception {
        Memory m = new Memory(256 * 1024);
        ByteBuffer acc = ByteBuffer.allocate(1 << 20);
        int got = 0;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (got < n) {
            assertTrue(System.nanoTime() < deadline, "only " + got + " of " + n + " offers within 30 s");
            long r = Posix.recv(fd, m, m.size(), Posix.MSG_DONTWAIT);
            if (r == 0) {
                throw new AssertionError("helper closed the stream after " + got + " offers");
            }
            if (r < 0) {
                Thread.sleep(2);
                continue;
            }
            acc.put(m.getByteArray(0, (int) r));
            acc.flip();
            while (acc.remaining() >= 4 && acc.remaining() >= 4 + acc.getInt(acc.position())) {
                byte[] f = new byte[acc.getInt()];
                acc.get(f);
                DhcpMessage d = DhcpCodec.decode(Frames.udp(Frames.ipv4(Frames.ethernet(f).payload())).payload());
                assertEquals(DhcpMessageType.OFFER, d.type());
                assertEquals(first + got, d.xid(), "offer " + got + " out of order");
                got++;
            }
            acc.compact();
        }
    }

    @Test
    void framesCutAnywhereByTheReadsAreReassembled() throws Exception {
        start(Posix.SOCK_STREAM);
        Random r = new Random(SEED);
        byte[] all = discovers(100, 20);
        // pieces of 1 to 9 bytes with pauses, so the helper's reads end inside lengths and inside frames
        for (int off = 0; off < all.length; ) {
            int len = Math.min(all.length - off, 1 + r.nextInt(9));
            sendAll(peer, all, off, len);
            off += len;
            if (r.nextInt(8) == 0) {
                Thread.sleep(1);
            }
        }
        expectOffers(peer, 100, 20);
        assertEquals(20, core.stats().get("frames_in"), "seed " + SEED + ": " + core.stats().snapshot());
    }

    @Test
    void manyFramesInOneSendAreAllAnsweredInOrder() throws Exception {
        start(Posix.SOCK_STREAM);
        byte[] all = discovers(0, 400); // about 140 KB: one send, a few reads for the helper
        sendAll(peer, all, 0, all.length);
        expectOffers(peer, 0, 400);
        assertEquals(400, core.stats().get("frames_in"), core.stats().snapshot().toString());
        assertEquals(400, core.stats().get("frames_out"), core.stats().snapshot().toString());
    }

    @Test
    void anFdPeerThatStopsReadingThenResumesLosesNothing() throws Exception {
        start(Posix.SOCK_STREAM);
        stopReadingThenResume(12_000);
    }

    @Test
    void aNetdevPeerThatStopsReadingThenResumesLosesNothing() throws Exception {
        startNetdev();
        stopReadingThenResume(12_000);
    }

    @Test
    void netdevConnectionsAreBoundedAndTheLastOneServes() throws Exception {
        startNetdev();
        Path sock = dir.resolve("netdev.sock");
        int[] more = new int[NetdevStreamServer.MAX_CONNECTIONS];
        try {
            for (int i = 0; i < more.length; i++) { // peer is the first; the last of these is one too many
                more[i] = Posix.socket(Posix.AF_UNIX, Posix.SOCK_STREAM | Posix.SOCK_CLOEXEC, 0);
                try (Memory a = Posix.unixAddress(sock.toString())) {
                    assertEquals(0, Posix.connect(more[i], a, Posix.unixAddressLength(sock.toString())));
                }
            }
            byte[] eof = FdFrontEndTest.receive(more[more.length - 1], 16, 5000);
            assertTrue(eof != null && eof.length == 0, "a connection past the limit must be closed: " + logs);
            assertEquals(1, core.stats().get("netdev_connections_refused"), core.stats().snapshot().toString());
            // the newest accepted connection is the attached guest; it is served
            byte[] d = discover(7);
            sendAll(more[more.length - 2], d, 0, d.length);
            expectOffers(more[more.length - 2], 7, 1);
        } finally {
            for (int fd : more) {
                Posix.close(fd);
            }
        }
    }

    /**
     * A writer thread sends {@code n} DISCOVERs (about 4 MB of OFFERs, far more than the socket buffers and the
     * helper's queue hold) while the test reads nothing for 2 s: the helper must stop reading (back-pressure), not
     * drop; then every OFFER arrives in order.
     */
    void stopReadingThenResume(int n) throws Exception {
        byte[] all = discovers(0, n);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        AtomicInteger written = new AtomicInteger();
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; i < n; i += 100) {
                    int len = all.length / n * Math.min(100, n - i);
                    sendAll(peer, all, all.length / n * i, len);
                    written.addAndGet(Math.min(100, n - i));
                }
            } catch (Throwable t) {
                failed.set(t);
            }
        }, "test-writer");
        writer.setDaemon(true);
        writer.start();
        Thread.sleep(2000);
        long in = core.stats().get("frames_in");
        assertTrue(in < n, "the helper kept reading a peer that does not read: " + core.stats().snapshot());
        assertTrue(written.get() < n, "the writer was never held back");
        assertEquals(0, core.stats().get(FdFrontEnd.DROPPED_PEER_BUSY), core.stats().snapshot().toString());
        expectOffers(peer, 0, n);
        writer.join(10_000);
        assertEquals(null, failed.get());
        assertEquals(n, core.stats().get("frames_in"), core.stats().snapshot().toString());
        assertEquals(0, core.stats().get(FdFrontEnd.DROPPED_PEER_BUSY) + core.stats().get(
                FdFrontEnd.DROPPED_PEER_GONE), core.stats().snapshot().toString());
        System.out.println("stopped peer: " + in + " of " + n + " frames read while it did not read; "
                + core.stats().snapshot());
    }
}
