package org.qemu.helpers.common.poll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** When a waiting thread polls for its next input and when it stops (SpinWait's bounds). */
class SpinWaitTest {
    private static final long WINDOW = 50_000;

    @Test
    void engagesOnlyAfterACommandCameWithinTheWindow() {
        SpinWait w = new SpinWait(WINDOW);
        assertFalse(w.engaged(), "a new connection blocks");
        w.arrivedAfter(WINDOW); // not faster than the window
        assertFalse(w.engaged());
        w.arrivedAfter(WINDOW - 1);
        assertTrue(w.engaged());
    }

    @Test
    void aMissDisengagesAtOnce() {
        SpinWait w = new SpinWait(WINDOW);
        w.arrivedAfter(1_000);
        w.arrivedWhilePolling();
        assertTrue(w.engaged());
        w.timedOut();
        assertFalse(w.engaged(), "a peer that paused: block");
        w.arrivedAfter(1_000);
        assertTrue(w.engaged(), "fast again");
    }

    @Test
    void commandsAlreadyWaitingSuspendPollingForAWhile() {
        SpinWait w = new SpinWait(WINDOW);
        w.arrivedAfter(1_000);
        for (int i = 0; i < SpinWait.WAITING_LIMIT - 1; i++) {
            w.foundWaiting();
            assertTrue(w.engaged());
        }
        w.arrivedWhilePolling(); // one that polling caught starts the count again
        for (int i = 0; i < SpinWait.WAITING_LIMIT - 1; i++) {
            w.foundWaiting();
        }
        assertTrue(w.engaged());
        w.foundWaiting();
        assertFalse(w.engaged(), "a blocking read would not have slept: polling only cost a system call");
        for (int i = 0; i < SpinWait.SUSPEND; i++) {
            w.arrivedAfter(1_000);
            assertFalse(w.engaged(), "suspended, command " + i);
        }
        w.arrivedAfter(1_000);
        assertTrue(w.engaged(), "measured again after the suspension");
    }

    @Test
    void aZeroWindowNeverPolls() {
        SpinWait w = new SpinWait(0);
        w.arrivedAfter(0);
        assertFalse(w.engaged());
    }

    @Test
    void theWindowComesFromAPropertyInMicroseconds() {
        String p = "spinwaittest.micros";
        assertEquals(50_000, SpinWait.windowFromProperty(p, 50), "unset: the default");
        System.setProperty(p, "0");
        try {
            assertEquals(0, SpinWait.windowFromProperty(p, 50), "0 turns polling off");
            System.setProperty(p, "-5");
            assertEquals(0, SpinWait.windowFromProperty(p, 50), "a negative window is none");
            System.setProperty(p, "120");
            assertEquals(120_000, SpinWait.windowFromProperty(p, 50));
        } finally {
            System.clearProperty(p);
        }
    }
}
