package org.qemu.helpers.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.discovery.HelperInfo;
import org.qemu.helpers.common.trust.TrustLevel;

/** The status table: whole bus names (libvirt's per-NIC instance names), columns aligned, helper text bounded. */
class HelperTableTest {
    static HelperInfo helper(String busName, String name, String vmStateId, String status) {
        return new HelperInfo(busName, ":1.7", 4242, 0, TrustLevel.ADMIN, name, "0.1.0", "", List.of(busName),
                vmStateId, status, "");
    }

    @Test
    void instanceNamesAreShownWholeAndTheColumnsStayAligned() {
        String table = HelperTable.format(List.of(helper("org.qemu.UiClient1", "ui-client", "", "ready"),
                helper("org.qemu.SlirpDhcp1.slirp_52_54_00_aa_bb_01", "slirp-dhcp", "slirp-52:54:00:aa:bb:01", "ready"),
                helper("org.qemu.SlirpDhcp1.slirp_52_54_00_aa_bb_02", "slirp-dhcp", "slirp-52:54:00:aa:bb:02", "ready")));
        List<String> lines = table.lines().toList();
        assertEquals(4, lines.size(), table);
        assertTrue(lines.get(2).startsWith("org.qemu.SlirpDhcp1.slirp_52_54_00_aa_bb_01 slirp-dhcp "), table);
        assertTrue(lines.get(3).startsWith("org.qemu.SlirpDhcp1.slirp_52_54_00_aa_bb_02 slirp-dhcp "), table);
        assertTrue(lines.get(2).endsWith(" slirp-52:54:00:aa:bb:01"), table);
        int helperColumn = lines.get(0).indexOf("HELPER");
        for (String l : lines.subList(1, lines.size())) {
            assertTrue(l.substring(helperColumn).startsWith("ui-client") || l.substring(helperColumn).startsWith("slirp-dhcp"),
                    "HELPER column at " + helperColumn + ":\n" + table);
        }
    }

    @Test
    void shortNamesKeepTheUsualWidth() {
        String table = HelperTable.format(List.of(helper("org.qemu.TpmStub1", "tpm-stub", "tpm", "ready")));
        assertEquals(23, table.lines().findFirst().orElseThrow().indexOf("HELPER"), table);
    }

    @Test
    void helperSuppliedTextIsStillEscapedAndBounded() {
        String table = HelperTable.format(List.of(helper("org.qemu.Compress1", "x".repeat(300), "", "re\u001b[2Jady")));
        String row = table.lines().skip(1).findFirst().orElseThrow();
        assertTrue(row.contains("x".repeat(40) + "... "), table);
        assertTrue(row.contains("re\\x1b[2Jady"), table);
    }
}
