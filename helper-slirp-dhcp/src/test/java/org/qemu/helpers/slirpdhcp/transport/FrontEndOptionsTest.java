package org.qemu.helpers.slirpdhcp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.slirpdhcp.Main;

/** The real helper refuses bad front-end options at start, one error line naming the option and the fix. */
class FrontEndOptionsTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @AfterEach
    void cleanUp() {
        BUS.killHelpers();
    }

    String refused(String option, String... args) throws Exception {
        String[] all = new String[args.length + 1];
        all[0] = "--state-dir=" + BUS.dir().resolve("s");
        System.arraycopy(args, 0, all, 1, args.length);
        HelperProcess p = BUS.startHelper(Main.class, all);
        assertNotEquals(0, p.awaitExit(Duration.ofSeconds(30)), p.output());
        String err = p.output().lines().filter(l -> l.contains(" error ")).reduce("", (a, b) -> a + b);
        assertTrue(err.contains("option " + option + ":"), p.output());
        assertEquals(1, p.output().lines().filter(l -> l.contains(" error ")).count(), p.output());
        return err;
    }

    @Test
    void badFrontEndOptionsAreConfigErrors() throws Exception {
        assertTrue(refused("--fd", "--fd", "99").contains("not open"));
        assertTrue(refused("--fd", "--fd", "0").contains("not a socket")); // the launcher's stdin is a pipe
        String both = refused("--netdev-socket", "--netdev-socket", BUS.dir().resolve("x.sock").toString(), "--fd",
                "32");
        assertTrue(both.contains("--fd") && both.contains("one guest front end"), both);
        Path file = BUS.dir().resolve("precious.txt");
        Files.writeString(file, "keep me");
        assertTrue(refused("--netdev-dgram", "--netdev-dgram", file.toString()).contains("not a socket"));
        assertEquals("keep me", Files.readString(file));
        refused("--tap", "--tap", "tap0");
        refused("--netns", "--netns", "/run/netns/no-such-namespace-here", "--tap", "tap0");
        String self = String.valueOf(ProcessHandle.current().pid()); // a PID whose namespace exists
        refused("--netns", "--netns", self);
        refused("--tap", "--netns", self, "--tap", "much-too-long-name");
    }
}
