package org.qemu.helpers.common.bus;

import java.util.Locale;

/** The Status property of org.qemu.Helper1. */
public enum HelperStatus {
    STARTING, READY, DEGRADED, STOPPING;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
