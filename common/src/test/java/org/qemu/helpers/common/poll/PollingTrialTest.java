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

    /** Holds the current verdict for {@code epochs} epochs, checking it stays, then expects the next trial. */
    private static void held(PollingTrial t, boolean verdict, int epochs) {
        for (int e = 0; e < epochs; e++) {
            assertEquals(verdict, t.pollingAllowed(), "held, epoch " + e + " of " + epochs);
            epoch(t, 45_000);
        }
        assertTrue(t.pollingAllowed(), "tried again after " + epochs + " epochs");
    }

    @Test
    void pollingIsKeptWhenItsCyclesAreClearlyShorter() {
        PollingTrial t = new PollingTrial();
        assertTrue(trial(t, 45_000, 65_000), "a TCP ping-pong through the helper: polling wins");
        held(t, true, PollingTrial.FIRST_HOLD);
        assertTrue(trial(t, 45_000, 65_000));
        held(t, true, 2 * PollingTrial.FIRST_HOLD); // the same verdict again: kept twice as long
        assertFalse(trial(t, 30_000, 9_000), "the peers changed: now they are faster without");
        held(t, false, PollingTrial.FIRST_HOLD); // a changed verdict is checked again soon
    }

    @Test
    void sleepingIsKeptWhenPollingSlowsThePeer() {
        PollingTrial t = new PollingTrial();
        int expected = PollingTrial.FIRST_HOLD;
        for (int i = 0; i < 8; i++) {
            assertFalse(trial(t, 31_000, 9_300), "a flood ping on one CPU: polling loses, trial " + i);
            held(t, false, expected);
            expected = Math.min(PollingTrial.HOLD, expected * 2);
        }
        assertEquals(PollingTrial.HOLD, expected, "a verdict that keeps repeating is held at most HOLD epochs");
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
