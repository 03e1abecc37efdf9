package org.qemu.helpers.common.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.exit.ExitCodes;
import org.qemu.helpers.common.sample.SampleHelper;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;

/** Losing the bus ends the helper non-zero so that its supervisor restarts it. */
class BusLossTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @Test
    void losingTheBusIsLoggedAndExitsWithBusLost() throws Exception {
        HelperProcess p = BUS.startHelper(SampleHelper.class, "--state-dir=" + BUS.dir().resolve("s"))
                .awaitReady(Duration.ofSeconds(30));
        BUS.killDaemon();
        assertEquals(ExitCodes.BUS_LOST, p.awaitExit(Duration.ofSeconds(30)), p.output());
        assertTrue(p.output().contains("sample error bus-lost"), p.output());
    }
}
