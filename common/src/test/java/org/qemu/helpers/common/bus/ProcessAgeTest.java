package org.qemu.helpers.common.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProcessAgeTest {
    private static final String STAT_TAIL = " R 6192 6192 27668 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 1058880 3133440 408"
            + " 18446744073709551615 94748510691328 94748510711209 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";

    @Test
    void ageIsUptimeMinusStartTicks() {
        // start 1058880 ticks = 10588.80 s after boot; uptime 10589.25 s
        assertEquals(450, ProcessAge.millis("6195 (java)" + STAT_TAIL, "10589.25 6941.08\n"));
    }

    @Test
    void aCommandNameWithSpacesAndParenthesesDoesNotShiftTheFields() {
        assertEquals(450, ProcessAge.millis("6195 (a) b (c)" + STAT_TAIL, "10589.25 6941.08\n"));
    }

    @Test
    void malformedTextGivesMinusOne() {
        assertEquals(-1, ProcessAge.millis("6195 java R 1 2 3", "10589.25 1"));
        assertEquals(-1, ProcessAge.millis("6195 (java) R 1 2 3", "10589.25 1"));
        assertEquals(-1, ProcessAge.millis("6195 (java)" + STAT_TAIL, "soon"));
        assertEquals(-1, ProcessAge.millis("6195 (java)" + STAT_TAIL, "10000.00 1"), "started after now");
    }

    @Test
    void thisProcessIsOlderThanZeroAndYoungerThanTheMachine() throws Exception {
        long age = ProcessAge.millis();
        double uptime = Double.parseDouble(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/uptime")).split(" ")[0]);
        assertTrue(age > 0 && age < uptime * 1000, "age " + age);
        long jvmAge = System.currentTimeMillis() - java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
        // The process exists before the JVM records its start time; on a loaded machine that gap was 645 ms once
        // (a flake at < 500 ms both ways). One-sided, with /proc's 10 ms ticks as slack: still catches a unit error.
        assertTrue(age >= jvmAge - 50 && age - jvmAge < 5_000,
                "process age " + age + " ms vs JVM age " + jvmAge + " ms");
    }
}
