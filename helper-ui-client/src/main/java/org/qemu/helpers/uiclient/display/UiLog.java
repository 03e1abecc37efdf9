package org.qemu.helpers.uiclient.display;

import org.qemu.helpers.common.log.HelperLog;

/**
 * The events this module logs (one line each, key=value), on common's HelperLog ({@link HelperLogUi});
 * tests may use {@link #stderr}.
 */
public interface UiLog {
    void info(String event, Object... kv);

    void warn(String event, Object... kv);

    /** common's log for {@code ui-client} on stderr (one format and one quoting for every helper). */
    static UiLog stderr() {
        return new HelperLogUi(HelperLog.stderr("ui-client"));
    }
}
