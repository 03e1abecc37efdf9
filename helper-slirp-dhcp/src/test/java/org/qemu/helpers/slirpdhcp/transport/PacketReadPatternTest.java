package org.qemu.helpers.slirpdhcp.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.frame.FrameBatch;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestPort;

/**
 * How a {@link PacketFrontEnd} reads, on a real SOCK_DGRAM socketpair and a running {@link EventLoop}, counting its
 * receive calls: one frame per wake-up (a round trip's pattern) costs one read per frame once learnt, with no read
 * that only says EAGAIN; a burst that arrives while it expects one frame is still delivered whole, in order, and in
 * few bursts (the level-triggered loop reports the rest at once, and a wait that did not sleep drains again).
 */
class PacketReadPatternTest {
    private final int[] sv = new int[2];
    private final EventLoop loop = new EventLoop("test-loop", EventLog.NONE);
    private final AtomicInteger receives = new AtomicInteger();
    private volatile boolean stallNextReceive; // the loop thread then sleeps before its read: frames pile up
    private final LinkedBlockingQueue<byte[]> delivered = new LinkedBlockingQueue<>();
    private final List<Integer> bursts = new ArrayList<>(); // frames per burst, loop thread writes, read after
    private int inBurst;
    private PacketFrontEnd fe;

    private final PacketIo counting = new PacketIo() {
        @Override
        public long receive(int fd, long buf, long cap) {
            receives.incrementAndGet();
            if (stallNextReceive) {
                stallNextReceive = false;
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return PacketIo.CONNECTED.receive(fd, buf, cap);
        }

        @Override
        public long send(int fd, long buf, long len) {
            return PacketIo.CONNECTED.send(fd, buf, len);
        }
    };

    private final GuestPort recorder = new GuestPort() {
        @Override
        public void attach(Consumer<byte[]> toGuest) {
        }

        @Override
        public void receive(byte[] frame, Consumer<byte[]> replyTo) {
            inBurst++;
            delivered.add(frame.clone()); // the front end reuses its arrays
        }

        @Override
        public void burstEnd() {
            synchronized (bursts) {
                bursts.add(inBurst);
            }
            inBurst = 0;
        }

        @Override
        public void detach(Consumer<byte[]> toGuest) {
        }
    };

    private void open() {
        assertEquals(0, Posix.socketpair(Posix.AF_UNIX, Posix.SOCK_DGRAM | Posix.SOCK_CLOEXEC, 0, sv),
                Posix.lastError());
        fe = new PacketFrontEnd(sv[1], counting, "test dgram", recorder, new Statistics(), EventLog.NONE, loop);
        loop.start();
        fe.start();
    }

    @AfterEach
    void close() {
        if (fe != null) { // only then is sv a socketpair (else it is {0, 0}: never close stdin)
            fe.close();
            Posix.close(sv[0]);
        }
        loop.close();
    }

    private void send(int n) {
        byte[] f = new byte[60];
        f[0] = (byte) n;
        Memory m = new Memory(f.length);
        m.write(0, f, 0, f.length);
        assertEquals(f.length, Posix.send(sv[0], m, f.length, Posix.MSG_NOSIGNAL), Posix.lastError());
    }

    private byte[] next() throws InterruptedException {
        byte[] f = delivered.poll(5, TimeUnit.SECONDS);
        assertTrue(f != null, "a frame was not delivered (left in the socket by a skipped read?)");
        return f;
    }

    @Test
    void oneFramePerWakeUpCostsOneReadOnceLearnt() throws Exception {
        open();
        int n = 8;
        for (int i = 0; i < n; i++) {
            send(i);
            assertEquals(i, next()[0]);
            Thread.sleep(20); // the loop's next wait sleeps, as between the halves of a round trip
        }
        // the first wake-up reads its frame and EAGAIN (learning "one"); every later one reads its frame only
        // (the old loop made 2 n reads)
        assertEquals(n + 1, receives.get(), "receive calls for " + n + " frames one at a time; bursts " + bursts);
    }

    @Test
    void aBurstWhileExpectingOneFrameIsDeliveredWholeAndInOrder() throws Exception {
        open();
        for (int i = 0; i < 3; i++) { // learn the one-frame pattern
            send(i);
            assertEquals(i, next()[0]);
            Thread.sleep(20);
        }
        synchronized (bursts) {
            bursts.clear();
        }
        int n = 40;
        // the loop sleeps in its wait, is woken by the first frame and, slowed here, reads it only when all 40
        // are queued: it expects one frame (and gets it), then must take the other 39 at once
        stallNextReceive = true;
        for (int i = 0; i < n; i++) {
            send(100 + i);
        }
        for (int i = 0; i < n; i++) {
            assertArrayEquals(new byte[] {(byte) (100 + i)}, new byte[] {next()[0]}, "frame " + i + " in order");
        }
        Thread.sleep(50);
        synchronized (bursts) {
            // the one frame read for the expected round trip, then the rest in a burst again (the wait before it
            // did not sleep): a burst of 40 must not be cut into one wake-up per frame
            assertTrue(bursts.size() <= 3 && bursts.stream().mapToInt(Integer::intValue).max().orElse(0) >= n / 2,
                    "bursts " + bursts);
        }
    }

    @Test
    void theLoopThreadBatchesWithoutAThreadLocal() throws Exception {
        int[] flushed = new int[1];
        boolean[] deferred = new boolean[1];
        Thread t = FrameBatch.newThread(() -> {
            FrameBatch.begin();
            deferred[0] = FrameBatch.defer(() -> flushed[0]++);
            FrameBatch.defer(() -> flushed[0]++); // another flush, not the same one: runs too
            int before = flushed[0];
            FrameBatch.end();
            flushed[0] += before * 100; // any flush that ran before the end shows here
        }, "batch-test");
        t.start();
        t.join(5000);
        assertTrue(deferred[0], "inside a batch a flush is deferred");
        assertEquals(2, flushed[0], "both deferred flushes ran at the end, none before");
        assertTrue(!FrameBatch.defer(() -> { }), "this thread is outside any batch: send now");
    }
}
