package org.qemu.helpers.common.health;

/**
 * Where a helper's parts report a failure mode that leaves the helper running but not doing its whole
 * job (a journal that cannot be written, a display that went away), and its end. The runtime shows the
 * open conditions as Status {@code degraded} with a StatusReason (org.qemu.Helper1, with
 * PropertiesChanged). A leaf package, so that engines and stores can report without knowing the bus.
 */
public interface Health {
    /** Does nothing: for parts used without a runtime (tests, benchmarks). */
    Health NONE = new Health() {
        @Override
        public void degraded(String condition, String reason) {
        }

        @Override
        public void recovered(String condition) {
        }
    };

    /**
     * Condition {@code condition} (a short stable key, e.g. {@code lease-journal}) holds, because of
     * {@code reason} (one line for the operator). Reporting it again only updates the reason.
     */
    void degraded(String condition, String reason);

    /** Condition {@code condition} no longer holds (cheap when it did not: call it on every success). */
    void recovered(String condition);
}
