package org.qemu.helpers.common.bus;

import org.qemu.helpers.common.discovery.Helper1;

/** The state behind a helper's org.qemu.Helper1 object. */
final class Helper1Service implements Helper1 {
    private final HelperIdentity identity;
    private final String version;
    private volatile HelperStatus status = HelperStatus.STARTING;
    private volatile String statusReason = "";

    private final java.util.function.Supplier<String> vmStateId;

    /** {@code vmStateId}: the Id of the VMState1 object the helper serves, "" while it serves none. */
    Helper1Service(HelperIdentity identity, String version, java.util.function.Supplier<String> vmStateId) {
        this.vmStateId = vmStateId;
        this.identity = identity;
        this.version = version;
    }

    public PropertyTable properties() {
        return new PropertyTable(INTERFACE)
                .readOnly("Name", "s", identity::name)
                .readOnly("Version", "s", () -> version)
                .readOnly("Description", "s", identity::description)
                .readOnly("Interfaces", "as", identity::interfaces)
                .readOnly("VMStateId", "s", vmStateId)
                .readOnly("Status", "s", () -> status.wire())
                .readOnly("StatusReason", "s", () -> statusReason);
    }

    public HelperStatus status() {
        return status;
    }

    public void setStatus(HelperStatus status) {
        this.status = status;
    }

    public void setStatus(HelperStatus status, String reason) {
        this.statusReason = reason;
        this.status = status;
    }

    @Override
    public String getObjectPath() {
        return PATH;
    }
}
