package org.qemu.helpers.slirpdhcp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.log.EventLog;

/**
 * The loop's polling after a round (SpinWait in the loop): it catches a peer that answers within the window, never
 * runs with a zero window, and does not hold back the timer. A one-byte echo over a socketpair is the peer.
 */
class EventLoopTest {
    private static final int ROUND_TRIPS = 300;
    private static final long THINK_NANOS = 2_000_000; // 300 us was too short on a loaded CI machine (82 of 300 caught)
    private final int[] pair = new int[2];
    private final Memory one = new Memory(1);
    private EventLoop loop;

    private void start(long spinNanos) {
        assertEquals(0, Posix.socketpair(Posix.AF_UNIX, Posix.SOCK_STREAM, 0, pair), "socketpair");
        loop = new EventLoop("test-loop", EventLog.NONE, spinNanos);
        Memory buf = new Memory(1);
        loop.add(pair[1], Posix.EPOLLIN, ev -> { // the loop's side echoes what it reads
            if (Posix.read(pair[1], buf, 1) == 1) {
                Posix.write(pair[1], buf, 1);
            }
        });
        loop.start();
    }

    /**
     * n one-byte requests, each {@link #THINK_NANOS} after the previous answer, on the CPU (a peer that sleeps would
     * be woken late on a loaded machine): later than the loop's first look after a round (a request already waiting
     * then suspends polling, since a blocking wait would not have slept either), well inside the window.
     */
    private void pingPong(int n) {
        for (int i = 0; i < n; i++) {
            long until = System.nanoTime() + THINK_NANOS;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            one.setByte(0, (byte) i);
            assertEquals(1, Posix.write(pair[0], one, 1));
            assertEquals(1, Posix.read(pair[0], one, 1));
            assertEquals((byte) i, one.getByte(0));
        }
    }

    @AfterEach
    void close() {
        loop.close();
        Posix.close(pair[0]);
        Posix.close(pair[1]);
    }

    @Test
    void aPeerThatAnswersWithinTheWindowIsCaughtWhilePolling() {
        start(TimeUnit.MILLISECONDS.toNanos(200)); // far longer than this test's round trip, however loaded
        pingPong(ROUND_TRIPS);
        loop.close(); // joins the loop's thread: its count is then visible here
        assertTrue(loop.roundsCaughtWhilePolling() >= ROUND_TRIPS / 3,
                "requests arrive while the loop polls (a descheduled loop that finds one waiting suspends polling): " + loop.roundsCaughtWhilePolling());
    }

    @Test
    void aZeroWindowAlwaysSleeps() {
        start(0);
        pingPong(ROUND_TRIPS);
        loop.close();
        assertEquals(0, loop.roundsCaughtWhilePolling());
    }

    @Test
    void theTimerFiresWhileTheLoopPolls() throws Exception {
        start(TimeUnit.SECONDS.toNanos(10)); // a window that would hide the deadline if polling ignored it
        pingPong(20); // engaged: the loop now polls after each round
        CountDownLatch fired = new CountDownLatch(1);
        long due = System.currentTimeMillis() + 30;
        loop.timer(() -> fired.getCount() == 0 ? Long.MAX_VALUE : due, fired::countDown);
        loop.execute(() -> { }); // a round, so that the loop reads the new deadline
        assertTrue(fired.await(2, TimeUnit.SECONDS), "the deadline bounds the polling");
    }
}
