package org.qemu.helpers.common.discovery;

import java.util.List;
import org.qemu.helpers.common.trust.TrustLevel;

/**
 * One helper as discovery sees it: who owns its name (from the bus daemon) and what its
 * org.qemu.Helper1 object says (from the helper itself, so untrusted text: bounded here,
 * escaped by whoever displays it).
 */
public record HelperInfo(String busName, String uniqueName, long pid, long uid, TrustLevel level, String name,
                         String version, String description, List<String> interfaces, String vmStateId, String status,
                         String statusReason) {
    static final int MAX_TEXT = 256;

    public HelperInfo {
        name = bound(name);
        version = bound(version);
        description = bound(description);
        vmStateId = bound(vmStateId);
        status = bound(status);
        statusReason = bound(statusReason);
        interfaces = interfaces.stream().limit(32).map(HelperInfo::bound).toList();
    }

    static String bound(String s) {
        if (s == null) {
            return "";
        }
        return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT);
    }

    HelperInfo withStatus(String newStatus, String newReason) {
        return new HelperInfo(busName, uniqueName, pid, uid, level, name, version, description, interfaces, vmStateId,
                newStatus, newReason);
    }
}
