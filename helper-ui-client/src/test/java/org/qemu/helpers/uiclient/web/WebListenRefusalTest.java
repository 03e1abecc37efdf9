package org.qemu.helpers.uiclient.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.exit.ExitCodes;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.uiclient.Main;

/** issue 11: a taken --web address exited 1 with a stack trace; it exits 3, as in every helper, naming it. */
class WebListenRefusalTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @Test
    void aTakenWebAddressExitsThreeNamingIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Path state = Files.createTempDirectory(BUS.dir(), "state");
            String at = "127.0.0.1:" + taken.getLocalPort();
            HelperProcess p = BUS.startHelper(Main.class, "--state-dir", state.toString(), "--web", at);
            assertEquals(ExitCodes.STARTUP, p.awaitExit(Duration.ofSeconds(60)), p.output());
            assertTrue(p.output().contains("startup-failed") && p.output().contains("cannot listen on --web " + at),
                    p.output());
        }
    }
}
