package org.qemu.helpers.common.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
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

    @Test
    void aLimitedLogDropsLinesOverTheLimitAndTheNextLineSaysHowMany() {
        long[] now = {0};
        List<String> lines = new ArrayList<>();
        EventLog log = new EventRateLimit(2, 1, () -> now[0])
                .limit((level, event, kv) -> lines.add(level + " " + HelperLog.line(event, kv)));
        for (int i = 0; i < 5; i++) {
            log.warn("nak", "mac", "52:54:00:00:00:0" + i);
        }
        now[0] += 1_000;
        log.info("nak", "mac", "x y");
        assertEquals(List.of("WARN nak mac=52:54:00:00:00:00", "WARN nak mac=52:54:00:00:00:01",
                "INFO nak mac=\"x y\" suppressed_before=3"), lines);
    }
}
