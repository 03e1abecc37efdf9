package org.qemu.helpers.uiclient.display;

import org.qemu.helpers.common.log.EventLog;

/** {@link UiLog} on common's one-line event log. */
public final class HelperLogUi implements UiLog {
    private final EventLog log;

    public HelperLogUi(EventLog log) {
        this.log = log;
    }

    @Override
    public void info(String event, Object... kv) {
        log.info(event, kv);
    }

    @Override
    public void warn(String event, Object... kv) {
        log.warn(event, kv);
    }
}
