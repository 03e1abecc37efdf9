package org.qemu.helpers.uiclient.dbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.Qemu;
import org.qemu.helpers.common.testing.StatusWatch;
import org.qemu.helpers.uiclient.Main;
import org.qemu.helpers.uiclient.testutil.VmDisplay;

/**
 * issue 11: discovery showed the ui-client ready after it lost QEMU's display. With a real QEMU 7.2: no
 * QEMU yet is ready (a VM starting), QEMU gone is degraded with a reason (PropertiesChanged), QEMU back is
 * ready again.
 */
@Timeout(240)
class DisplayLostDegradedTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @AfterEach
    void killHelpers() {
        BUS.killHelpers();
    }

    @Test
    void losingTheDisplayIsDegradedAndItsReturnReady() throws Exception {
        Path state = Files.createTempDirectory(BUS.dir(), "state");
        // connected before the helper starts: it learns of later peers from NameOwnerChanged, asynchronously
        try (StatusWatch status = StatusWatch.on(BUS.connect())) {
            HelperProcess helper = BUS.startHelper(Main.class, "--state-dir", state.toString(), "--web", "off")
                    .awaitReady(Duration.ofSeconds(60));
            try (Qemu first = VmDisplay.start(BUS, "first")) {
                helper.awaitLog("qemu-attached", Duration.ofSeconds(60));
                assertTrue(status.changes().stream().allMatch(c -> c.status().equals("ready")),
                        "attaching changes nothing: " + status.changes());
                // cleared before QEMU goes: the helper can announce degraded before close() returns (CI saw [])
                status.clear();
            }
            StatusWatch.Change lost = status.await("degraded", Duration.ofSeconds(30));
            assertTrue(lost.reason().startsWith("display: QEMU's display was lost"), lost.reason());
            try (Qemu second = VmDisplay.start(BUS, "second")) {
                assertEquals("", status.await("ready", Duration.ofSeconds(60)).reason(), helper.output());
            }
        }
    }
}
