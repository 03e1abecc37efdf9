package org.qemu.helpers.common.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EventRateLimitTest {
    @Test
    void aBurstPassesThenTheRateAndTheNextLineCountsWhatWasLeftOut() {
        long[] now = {1_000};
        EventRateLimit limit = new EventRateLimit(3, 2, () -> now[0]);
        assertEquals(0, limit.admit("a"));
        assertEquals(0, limit.admit("a"));
        assertEquals(0, limit.admit("a"));
        assertEquals(-1, limit.admit("a"));
        assertEquals(-1, limit.admit("a"));
        assertEquals(0, limit.admit("b"), "each event has its own bucket");
        now[0] += 499;
        assertEquals(-1, limit.admit("a"), "2 a second: not yet one token back");
        now[0] += 1;
        assertEquals(3, limit.admit("a"), "three left out before this one");
        assertEquals(-1, limit.admit("a"));
        now[0] += 60_000;
        for (int i = 0; i < 3; i++) {
            assertEquals(i == 0 ? 1 : 0, limit.admit("a"), "the bucket refills to the burst, no more");
        }
        assertEquals(-1, limit.admit("a"));
    }
}
