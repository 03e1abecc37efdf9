package org.qemu.helpers.common.log;

import org.qemu.helpers.common.log.HelperLog.Level;

/**
 * What a helper's parts log to: one line per event with a level, key/value pairs alternating in
 * {@code kv}. {@link HelperLog} is the one implementation that writes; parts take an EventLog so
 * that tests can pass {@link #NONE} or a recorder.
 */
@FunctionalInterface
public interface EventLog {
    /** Logs nothing. */
    EventLog NONE = (level, event, kv) -> { };

    void log(Level level, String event, Object... kv);

    default void debug(String event, Object... kv) {
        log(Level.DEBUG, event, kv);
    }

    default void info(String event, Object... kv) {
        log(Level.INFO, event, kv);
    }

    default void warn(String event, Object... kv) {
        log(Level.WARN, event, kv);
    }

    default void error(String event, Object... kv) {
        log(Level.ERROR, event, kv);
    }
}
