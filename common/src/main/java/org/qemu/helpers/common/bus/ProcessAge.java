package org.qemu.helpers.common.bus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How long ago this process was started (fork/exec), from the kernel's own clocks: field 22 of
 * /proc/self/stat (start time in clock ticks since boot) against /proc/uptime, both in units of
 * 10 ms (proc(5)). {@code ProcessHandle.Info.startInstant()} is no good for this: the JDK adds
 * the boot time from /proc/stat's {@code btime}, which is in whole seconds, so the age it gives
 * is off by up to a second.
 */
final class ProcessAge {
    /** USER_HZ: the unit of /proc's tick counts, 100 on every Linux architecture the JDK runs on (proc(5)). */
    static final long TICKS_PER_SECOND = 100;

    private ProcessAge() {
    }

    /** Milliseconds since this process started, or -1 when /proc cannot tell. */
    static long millis() {
        try {
            return millis(Files.readString(Path.of("/proc/self/stat")), Files.readString(Path.of("/proc/uptime")));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The age given the text of /proc/self/stat and /proc/uptime; -1 when either is malformed. */
    static long millis(String stat, String uptime) {
        // comm (field 2) is in parentheses and may itself hold spaces or ')': fields resume after the last ')'
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            return -1;
        }
        String[] after = stat.substring(close + 1).trim().split(" +");
        int startTimeIndex = 22 - 3; // field 3 (state) is after[0]
        String[] up = uptime.trim().split(" +");
        if (after.length <= startTimeIndex || up.length < 1) {
            return -1;
        }
        try {
            long startTicks = Long.parseLong(after[startTimeIndex]);
            long uptimeMs = Math.round(Double.parseDouble(up[0]) * 1000);
            long age = uptimeMs - startTicks * 1000 / TICKS_PER_SECOND;
            return age < 0 ? -1 : age;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
