package org.qemu.helpers.common.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HelperLogTest {
    @Test
    void oneLinePerEventWithHostileValuesQuoted() {
        HelperLog log = new HelperLog("slirp-dhcp", HelperLog.Level.INFO, System.err);
        assertEquals("slirp-dhcp info lease mac=52:54:00:12:34:56 hostname=\"evil\\x0ainjected level=error\"",
                log.format(HelperLog.Level.INFO, "lease", "mac", "52:54:00:12:34:56", "hostname",
                        "evil\ninjected level=error"));
        assertEquals("\"\"", HelperLog.quote(""));
        assertEquals("\"a \\\"b\\\"\"", HelperLog.quote("a \"b\""));
    }
}
