package org.qemu.helpers.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.testing.HelperProcess;

class HelperArgsTest {
    @Test
    void theTestHarnessStartsHelpersWithTheLaunchersFlags() {
        // common's HelperProcess keeps its own copy (common cannot depend on deploy): the two stay equal
        assertEquals(HelperArgs.JVM_FLAGS, HelperProcess.JVM_FLAGS);
    }
}
