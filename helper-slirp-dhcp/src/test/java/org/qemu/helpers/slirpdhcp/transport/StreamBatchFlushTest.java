package org.qemu.helpers.slirpdhcp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.jna.Memory;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.frame.FrameBatch;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestPort;

/**
 * When a batch's frames leave a {@link StreamConnection} (a real SOCK_STREAM socketpair, the other end read as
 * QEMU would): a small batch with one send at its end, a large one in pieces of about
 * {@value StreamConnection#FLUSH_AT} bytes while it is still being built, and in both cases every byte in order.
 */
class StreamBatchFlushTest {
    private static final int FRAME = 1514; // a full-sized segment's Ethernet frame at MTU 1500
    private final int[] sv = new int[2];
    private final EventLoop loop = new EventLoop("test-loop", EventLog.NONE); // never started: sends need no loop
    private StreamConnection conn;

    private final GuestPort idle = new GuestPort() {
        @Override
        public void attach(Consumer<byte[]> toGuest) {
        }

        @Override
        public void receive(byte[] frame, Consumer<byte[]> replyTo) {
        }

        @Override
        public void detach(Consumer<byte[]> toGuest) {
        }
    };

    private void open() {
        assertEquals(0, Posix.socketpair(Posix.AF_UNIX, Posix.SOCK_STREAM | Posix.SOCK_CLOEXEC, 0, sv),
                Posix.lastError());
        conn = new StreamConnection(sv[1], idle, new Statistics(), loop, (c, why) -> { });
    }

    @AfterEach
    void close() {
        if (conn != null) {
            conn.close();
        }
        Posix.close(sv[0]);
        loop.close();
    }

    private static byte[] frame(int n) {
        byte[] f = new byte[FRAME];
        for (int i = 0; i < f.length; i++) {
            f[i] = (byte) (n * 31 + i);
        }
        return f;
    }

    /** What the peer can read now, without waiting (the stream's bytes so far). */
    private byte[] readable() {
        Memory m = new Memory(4 << 20);
        long total = 0;
        while (true) {
            long r = Posix.recv(sv[0], m.share(total), m.size() - total, Posix.MSG_DONTWAIT);
            if (r <= 0) {
                return m.getByteArray(0, (int) total);
            }
            total += r;
        }
    }

    private static void expectFrames(byte[] stream, int first, int count) {
        assertEquals(count * (4 + FRAME), stream.length, "whole frames only");
        for (int k = 0; k < count; k++) {
            int at = k * (4 + FRAME);
            int len = ((stream[at] & 0xff) << 24) | ((stream[at + 1] & 0xff) << 16) | ((stream[at + 2] & 0xff) << 8)
                    | (stream[at + 3] & 0xff);
            assertEquals(FRAME, len, "length of frame " + (first + k));
            byte[] want = frame(first + k);
            for (int i = 0; i < FRAME; i++) {
                if (stream[at + 4 + i] != want[i]) {
                    throw new AssertionError("frame " + (first + k) + " byte " + i + " differs: reordered or torn");
                }
            }
        }
    }

    @Test
    void aSmallBatchLeavesWithOneSendAtItsEnd() {
        open();
        int n = (StreamConnection.FLUSH_AT - 1) / (4 + FRAME); // just under the threshold
        FrameBatch.begin();
        try {
            for (int i = 0; i < n; i++) {
                conn.sink().accept(frame(i));
            }
            assertEquals(0, readable().length, "nothing sent inside a batch below the threshold");
        } finally {
            FrameBatch.end();
        }
        expectFrames(readable(), 0, n);
    }

    @Test
    void aLargeBatchLeavesInPiecesWhileItIsBuilt() {
        open();
        int perPiece = (StreamConnection.FLUSH_AT + 4 + FRAME - 1) / (4 + FRAME); // frames that reach the threshold
        int n = 180; // a 256 KiB window refilled in one round
        byte[] early;
        FrameBatch.begin();
        try {
            for (int i = 0; i < perPiece - 1; i++) {
                conn.sink().accept(frame(i));
            }
            assertEquals(0, readable().length, "below the threshold the batch waits");
            conn.sink().accept(frame(perPiece - 1));
            early = readable();
            expectFrames(early, 0, perPiece); // the threshold sent the queue at once, whole frames in order
            for (int i = perPiece; i < n; i++) {
                conn.sink().accept(frame(i));
            }
        } finally {
            FrameBatch.end();
        }
        int pieces = n / perPiece;
        byte[] rest = readable();
        expectFrames(rest, perPiece, n - perPiece); // the pieces and the batch's end: every frame, in order
        assertEquals(0, conn.queued(), "nothing left queued after the batch's end");
        assertEquals(true, pieces >= 2, "a 180-frame round goes out in several pieces");
    }
}
