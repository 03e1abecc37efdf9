package org.qemu.helpers.common.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.sample.SampleHelper;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.Readiness;

/**
 * issue 14: "ready" means the same for every helper: the bus name is owned, and Status is ready, only once
 * serve has returned, so a peer that sees the name finds the listeners accepting (tpm-stub owned its name
 * before its TPM sockets listened, and a client started right after the name appeared hit a closed socket).
 */
class ReadyMeansListeningTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @Test
    void theNameIsOwnedOnlyOnceTheListenerAccepts() throws Exception {
        Path socket = BUS.dir().resolve("sample-ready.sock");
        HelperProcess p = BUS.startHelper(SampleHelper.class, "--state-dir=" + BUS.dir().resolve("ready"),
                "--bus-name=org.qemu.Ready1", "--vmstate-id=", "--listen=" + socket, "--serve-delay-ms=1500");
        Readiness.assertListeningWhenNamed(BUS.connect(), "org.qemu.Ready1", socket, p);
        assertEquals(0, p.stop(), p.output());
    }
}
