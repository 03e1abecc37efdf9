package org.qemu.helpers.uiclient;

import org.qemu.helpers.common.health.Health;
import org.qemu.helpers.uiclient.display.DisplayClient;

/**
 * The ui-client's degraded condition: it had QEMU's display and lost it (QEMU left the bus, or the
 * listener could not be registered again), or the owner of org.qemu is refused by the vmm gate. A
 * helper waiting for its first QEMU is not degraded: that is how a VM starts.
 */
final class DisplayHealth implements Runnable {
    static final String CONDITION = "display";

    private final DisplayClient display;
    private final Health health;
    private boolean hadDisplay;

    DisplayHealth(DisplayClient display, Health health) {
        this.display = display;
        this.health = health;
    }

    @Override
    public synchronized void run() {
        switch (display.state()) {
            case ATTACHED -> {
                hadDisplay = true;
                health.recovered(CONDITION);
            }
            case REFUSED -> health.degraded(CONDITION, "the owner of org.qemu is refused (" + display.refusal()
                    + "); no screen is shown and no key is sent");
            case NO_QEMU -> {
                if (hadDisplay) {
                    health.degraded(CONDITION, "QEMU's display was lost (org.qemu has no usable owner);"
                            + " waiting for it to come back");
                }
            }
        }
    }
}
