package org.qemu.helpers.common.testing;

import java.util.List;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.common.log.HelperLog;

/** An {@link EventLog} for tests: each line as HelperLog writes it after name and level ({@code EVENT k=v ...}). */
public final class LogLines {
    private LogLines() {
    }

    /** Appends every line to {@code lines} (pass a thread-safe list when several threads log). */
    public static EventLog into(List<String> lines) {
        return (level, event, kv) -> lines.add(HelperLog.line(event, kv));
    }
}
