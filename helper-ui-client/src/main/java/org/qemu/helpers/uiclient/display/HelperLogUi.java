package org.qemu.helpers.uiclient.display;

import org.qemu.helpers.common.log.HelperLog;

/** {@link UiLog} on common's one-line HelperLog. */
public final class HelperLogUi implements UiLog {
    private final HelperLog log;

    public HelperLogUi(HelperLog log) {
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
