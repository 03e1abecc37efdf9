package org.qemu.helpers.common.bus;

import java.util.LinkedHashMap;
import java.util.Map;
import org.qemu.helpers.common.health.Health;
import org.qemu.helpers.common.log.HelperLog;

/**
 * The open degraded conditions of one helper, and what they make of Status and StatusReason: once the
 * helper is ready, {@code degraded} while any condition holds, {@code ready} when none does. Each change
 * is logged once (warn when a condition starts or its reason changes, info when it ends) and published
 * through {@code publish} (PropertiesChanged).
 */
final class HealthBoard implements Health {
    /** Bounds what one condition may add to StatusReason (its reason may carry a path or an error text). */
    static final int MAX_REASON = 300;

    private final Map<String, String> open = new LinkedHashMap<>();
    private final HelperLog log;
    private final Runnable publish;
    private volatile boolean any;

    HealthBoard(HelperLog log, Runnable publish) {
        this.log = log;
        this.publish = publish;
    }

    @Override
    public void degraded(String condition, String reason) {
        String r = reason.length() <= MAX_REASON ? reason : reason.substring(0, MAX_REASON) + "...";
        synchronized (this) {
            if (r.equals(open.put(condition, r))) {
                return;
            }
            any = true;
        }
        log.warn("degraded", "condition", condition, "reason", r);
        publish.run();
    }

    @Override
    public void recovered(String condition) {
        if (!any) {
            return; // the common case, on every successful write
        }
        synchronized (this) {
            if (open.remove(condition) == null) {
                return;
            }
            any = !open.isEmpty();
        }
        log.info("recovered", "condition", condition);
        publish.run();
    }

    boolean isDegraded() {
        return any;
    }

    /** "condition: reason; ..." of the open conditions, "" when none. */
    synchronized String reason() {
        StringBuilder sb = new StringBuilder();
        open.forEach((c, r) -> sb.append(sb.length() == 0 ? "" : "; ").append(c).append(": ").append(r));
        return sb.toString();
    }
}
