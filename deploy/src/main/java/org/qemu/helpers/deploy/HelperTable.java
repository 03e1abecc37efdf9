package org.qemu.helpers.deploy;

import java.util.List;
import org.qemu.helpers.common.discovery.HelperInfo;
import org.qemu.helpers.common.text.Untrusted;

/** The table `status` and `launch` print: one helper a line, every column from discovery. */
final class HelperTable {
    private HelperTable() {
    }

    static String format(List<HelperInfo> helpers) {
        StringBuilder sb = new StringBuilder(String.format("%-22s %-12s %-8s %-6s %-9s %-9s %s%n",
                "BUS NAME", "HELPER", "PID", "UID", "TRUST", "STATUS", "VMSTATE-ID"));
        for (HelperInfo h : helpers) {
            sb.append(String.format("%-22s %-12s %-8d %-6d %-9s %-9s %s%n", printable(h.busName()), printable(h.name()),
                    h.pid(), h.uid(), h.level().wire(), printable(h.status()),
                    h.vmStateId().isEmpty() ? "-" : printable(h.vmStateId())));
            if (!h.statusReason().isEmpty()) {
                sb.append("    why degraded: ").append(printable(h.statusReason(), 200)).append('\n');
            }
        }
        return sb.toString();
    }

    /** Helper-supplied text may hold anything: printable ASCII, the rest escaped, bounded. */
    static String printable(String s) {
        return Untrusted.printable(s, 40);
    }

    static String printable(String s, int max) {
        return Untrusted.printable(s, max);
    }
}
