package org.qemu.helpers.tpmstub.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.exit.ExitCodes;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.Readiness;
import org.qemu.helpers.tpmstub.Main;

/**
 * issue 14: the bus name appears only once the TPM sockets accept. issue 11: a taken listen address exited 2 here (a configuration error, which the units do not restart) where
 * other helpers exit 3; a listen path that is not a stale socket is refused with exit 3 and kept.
 */
class ListenRefusalTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @AfterEach
    void cleanUp() {
        BUS.killHelpers();
    }

    HelperProcess start(String... endpoints) throws Exception {
        Path state = Files.createTempDirectory(BUS.dir(), "tpmstate");
        String[] args = new String[endpoints.length + 2];
        args[0] = "--state-dir";
        args[1] = state.toString();
        System.arraycopy(endpoints, 0, args, 2, endpoints.length);
        return BUS.startHelper(Main.class, args);
    }

    @Test
    void aTakenTcpAddressExitsThreeNamingIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            String at = "127.0.0.1:" + taken.getLocalPort();
            HelperProcess p = start("--server", "tcp:" + at);
            assertEquals(ExitCodes.STARTUP, p.awaitExit(Duration.ofSeconds(30)), p.output());
            assertTrue(p.output().contains("startup-failed") && p.output().contains("cannot listen on " + at),
                    p.output());
        }
    }

    @Test
    void aRegularFileAtTheControlPathIsRefusedWithExitThreeAndKept() throws Exception {
        Path file = Files.writeString(BUS.dir().resolve("precious-ctrl"), "precious data");
        HelperProcess p = start("--ctrl", "unix:" + file);
        assertEquals(ExitCodes.STARTUP, p.awaitExit(Duration.ofSeconds(30)), p.output());
        assertTrue(p.output().contains(file + ": it exists and is not a socket"), p.output());
        assertEquals("precious data", Files.readString(file));
    }

    @Test
    void theNameAppearsOnlyOnceTheTpmSocketsAccept() throws Exception {
        Path data = BUS.dir().resolve("tpm-ready.sock");
        Path ctrl = BUS.dir().resolve("tpm-ready-ctrl.sock");
        HelperProcess p = start("--server", "unix:" + data, "--ctrl", "unix:" + ctrl);
        Readiness.assertListeningWhenNamed(BUS.connect(), "org.qemu.TpmStub1", ctrl, p);
        Readiness.assertListeningWhenNamed(BUS.connect(), "org.qemu.TpmStub1", data, p);
        assertEquals(0, p.stop(), p.output());
    }
}
