package org.qemu.helpers.common.poll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which mode the trial keeps: the one whose inputs came back sooner, polling only by a margin. */
class PollingTrialTest {
    private static void epoch(PollingTrial t, long cycleNanos) {
        for (int i = 0; i < PollingTrial.EPOCH; i++) {
            t.arrived(cycleNanos);
        }
    }

    /** Runs one trial: an epoch with polling at {@code polled}, one without at {@code slept}; returns the verdict. */
    private static boolean trial(PollingTrial t, long polled, long slept) {
        assertTrue(t.pollingAllowed(), "a trial starts with polling");
        epoch(t, polled);
        assertFalse(t.pollingAllowed(), "then an epoch without");
        epoch(t, slept);
        return t.pollingAllowed();
    }

    @Test
    void pollingIsKeptWhenItsCyclesAreClearlyShorter() {
        PollingTrial t = new PollingTrial();
        assertTrue(trial(t, 45_000, 65_000), "a TCP ping-pong through the helper: polling wins");
        for (int e = 0; e < PollingTrial.HOLD; e++) {
            assertTrue(t.pollingAllowed(), "held, epoch " + e);
            epoch(t, 45_000);
        }
        assertTrue(t.pollingAllowed());
        assertFalse(trial(t, 30_000, 9_000), "measured again after the hold: now the peer is faster without");
    }

    @Test
    void sleepingIsKeptWhenPollingSlowsThePeer() {
        PollingTrial t = new PollingTrial();
        assertFalse(trial(t, 31_000, 9_300), "a flood ping on one CPU: polling loses");
        for (int e = 0; e < PollingTrial.HOLD; e++) {
            assertFalse(t.pollingAllowed(), "held, epoch " + e);
            epoch(t, 9_300);
        }
        assertTrue(t.pollingAllowed(), "tried again after the hold");
    }

    @Test
    void aTieGoesToSleeping() {
        PollingTrial t = new PollingTrial();
        assertFalse(trial(t, 95_000, 100_000), "5 % shorter is inside the margin: polling's CPU is not worth it");
        assertEquals(10, PollingTrial.MARGIN_PERCENT);
    }

    @Test
    void onePauseDoesNotDecideAnEpoch() {
        PollingTrial t = new PollingTrial();
        t.arrived(60_000_000_000L); // a minute of idle guest while polling was being measured
        for (int i = 1; i < PollingTrial.EPOCH; i++) {
            t.arrived(45_000);
        }
        epoch(t, 65_000);
        assertTrue(t.pollingAllowed(), "the pause counted as " + PollingTrial.CYCLE_CAP_NANOS + " ns, not a minute");
    }
}
