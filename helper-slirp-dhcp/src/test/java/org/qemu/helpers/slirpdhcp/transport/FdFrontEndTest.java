package org.qemu.helpers.slirpdhcp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.slirpdhcp.engine.DhcpCodec;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessageType;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.frame.Frames;

/**
 * The inherited-descriptor front end on real kernel socketpairs, in this process: the test holds one end, the
 * helper's core the other as {@code --fd}. Framing per SO_TYPE, bad lengths, oversized datagrams, and a peer that
 * stops reading (the helper drops and counts, its reader keeps up, nothing queues).
 */
class FdFrontEndTest extends FrontEndFixture {
    static byte[] discoverFrame() {
        return Frames.udpFrame(Mac.BROADCAST, SocketsHostileAndNetdevTest.GUEST, 0, -1, 68, 67,
                SocketsHostileAndNetdevTest.discover(0));
    }

    static void sendRaw(int fd, byte[] b) {
        Memory m = new Memory(Math.max(1, b.length));
        m.write(0, b, 0, b.length);
        long r = Posix.send(fd, m, b.length, Posix.MSG_NOSIGNAL);
        assertEquals(b.length, r, Posix.lastError());
    }

    static byte[] lengthPrefixed(byte[] frame) {
        return java.nio.ByteBuffer.allocate(4 + frame.length).putInt(frame.length).put(frame).array();
    }

    /** One datagram (or up to {@code max} stream bytes), waiting at most {@code ms}; null on timeout, empty on EOF. */
    static byte[] receive(int fd, int max, int ms) {
        Memory m = new Memory(max);
        long deadline = System.nanoTime() + ms * 1_000_000L;
        while (System.nanoTime() < deadline) {
            long n = Posix.recv(fd, m, max, Posix.MSG_DONTWAIT);
            if (n >= 0) {
                return m.getByteArray(0, (int) n);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        return null;
    }

    static DhcpMessageType dhcpType(byte[] frame) throws Exception {
        return DhcpCodec.decode(Frames.udp(Frames.ipv4(Frames.ethernet(frame).payload())).payload()).type();
    }

    void awaitStat(String name, long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (core.stats().get(name) < atLeast && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(core.stats().get(name) >= atLeast, name + " < " + atLeast + ": " + core.stats().snapshot());
    }

    @Test
    void dgramSocketpairCarriesOneFramePerDatagramAndSurvivesBadDatagrams() throws Exception {
        start(Posix.SOCK_DGRAM);
        assertTrue(core.guestFrontEnd().endsWith(" type=dgram"), core.guestFrontEnd());
        sendRaw(peer, new byte[0]); // zero length: not an end of anything, a runt
        sendRaw(peer, new byte[] {1, 2, 3});
        sendRaw(peer, new byte[Frames.MAX_FRAME + 100]); // longer than any frame
        sendRaw(peer, discoverFrame());
        byte[] reply = receive(peer, Frames.MAX_FRAME + 1, 5000);
        assertTrue(reply != null, "no reply; " + core.stats().snapshot() + " " + logs);
        assertEquals(DhcpMessageType.OFFER, dhcpType(reply));
        assertEquals(1, core.stats().get(PacketFrontEnd.DROPPED_OVERSIZE), core.stats().snapshot().toString());
        assertTrue(core.stats().get(Statistics.DROPPED_MALFORMED) >= 2, core.stats().snapshot().toString());
    }

    @Test
    void aDgramPeerThatStopsReadingCostsDropsNotABlockedHelper() throws Exception {
        start(Posix.SOCK_DGRAM);
        byte[] d = discoverFrame();
        int n = 3000;
        for (int i = 0; i < n; i++) { // every DISCOVER is answered with an OFFER nobody reads
            Memory m = new Memory(d.length);
            m.write(0, d, 0, d.length);
            while (Posix.send(peer, m, d.length, Posix.MSG_DONTWAIT) < 0) {
                Thread.sleep(1); // our own queue to the helper is full: it is still reading, wait for it
            }
        }
        awaitStat("frames_in", n);
        long busy = core.stats().get(PacketFrontEnd.DROPPED_PEER_BUSY);
        assertTrue(busy > n / 2, "the helper's sends to a full peer must fail fast and count: " + core.stats()
                .snapshot());
        // the peer reads again: what is queued (at most the kernel's queue) and then fresh answers
        int queued = 0;
        while (receive(peer, Frames.MAX_FRAME, 200) != null) {
            queued++;
        }
        assertTrue(queued + busy >= n && queued < 1000, "queued=" + queued + " busy=" + busy);
        sendRaw(peer, d);
        assertEquals(DhcpMessageType.OFFER, dhcpType(receive(peer, Frames.MAX_FRAME, 5000)));
    }

    @Test
    void streamSocketpairIsLengthPrefixedAndEndsOnABadLength() throws Exception {
        start(Posix.SOCK_STREAM);
        assertTrue(core.guestFrontEnd().endsWith("type=stream"), core.guestFrontEnd());
        byte[] d = lengthPrefixed(discoverFrame());
        // one frame cut in two sends, then two frames in one send: framing is by length, not by send
        sendRaw(peer, java.util.Arrays.copyOf(d, 7));
        Thread.sleep(50);
        sendRaw(peer, java.util.Arrays.copyOfRange(d, 7, d.length));
        byte[] two = java.nio.ByteBuffer.allocate(2 * d.length).put(d).put(d).array();
        sendRaw(peer, two);
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (countFrames(got.toByteArray()) < 3 && System.nanoTime() < deadline) {
            byte[] b = receive(peer, 65536, 100);
            if (b != null) {
                got.write(b);
            }
        }
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(got.toByteArray());
        for (int i = 0; i < 3; i++) {
            byte[] f = new byte[in.getInt()];
            in.get(f);
            assertEquals(DhcpMessageType.OFFER, dhcpType(f));
        }
        // a length no frame can have: the stream cannot be resynchronised, the helper shuts it down
        sendRaw(peer, new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff});
        byte[] eof = receive(peer, 100, 5000);
        assertTrue(eof != null && eof.length == 0, "helper did not shut the stream down: " + logs);
        assertTrue(logs.stream().anyMatch(l -> l.contains("frontend_ended") && l.contains("bad_length")), logs
                .toString());
        assertTrue(core.stats().get(Statistics.DROPPED_MALFORMED) >= 1);
    }

    static int countFrames(byte[] b) {
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(b);
        int n = 0;
        while (in.remaining() >= 4 && in.remaining() >= 4 + in.getInt(in.position())) {
            in.position(in.position() + 4 + in.getInt(in.position()));
            n++;
        }
        return n;
    }

    // a stream peer that stops reading: StreamFramesTest (back-pressure, nothing dropped)
}
