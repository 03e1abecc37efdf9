package org.qemu.helpers.deploy;

import java.util.List;
import org.qemu.helpers.common.discovery.HelperInfo;
import org.qemu.helpers.common.text.Untrusted;

/**
 * The table `status` and `launch` print: one helper a line, every column from discovery. Bus names are shown whole
 * (an instance name such as org.qemu.SlirpDhcp1.slirp_52_54_00_aa_bb_01 is what a user passes to busctl), the
 * column as wide as the longest; the daemon checked them (D-Bus names are at most 255 characters of [A-Za-z0-9_.-]).
 */
final class HelperTable {
    /** The D-Bus specification's maximum length of a bus name. */
    static final int MAX_BUS_NAME = 255;
    private static final int MIN_BUS_NAME_COLUMN = 22;

    private HelperTable() {
    }

    static String format(List<HelperInfo> helpers) {
        int width = Math.max(MIN_BUS_NAME_COLUMN,
                helpers.stream().mapToInt(h -> busName(h).length()).max().orElse(0));
        String row = "%-" + width + "s %-12s %-8s %-6s %-9s %-9s %s%n";
        StringBuilder sb = new StringBuilder(String.format(row,
                "BUS NAME", "HELPER", "PID", "UID", "TRUST", "STATUS", "VMSTATE-ID"));
        for (HelperInfo h : helpers) {
            sb.append(String.format(row, busName(h), printable(h.name()),
                    h.pid(), h.uid(), h.level().wire(), printable(h.status()),
                    h.vmStateId().isEmpty() ? "-" : printable(h.vmStateId())));
            if (!h.statusReason().isEmpty()) {
                sb.append("    why degraded: ").append(printable(h.statusReason(), 200)).append('\n');
            }
        }
        return sb.toString();
    }

    private static String busName(HelperInfo h) {
        return printable(h.busName(), MAX_BUS_NAME);
    }

    /** Helper-supplied text may hold anything: printable ASCII, the rest escaped, bounded. */
    static String printable(String s) {
        return Untrusted.printable(s, 40);
    }

    static String printable(String s, int max) {
        return Untrusted.printable(s, max);
    }
}
