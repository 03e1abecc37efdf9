package org.qemu.helpers.slirpdhcp.dbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.exit.ExitCodes;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.slirpdhcp.Main;

/** Bad configuration ends the helper at start with a non-zero code and one line naming the option. */
class MainOptionsTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @AfterEach
    void cleanUp() {
        BUS.killHelpers();
    }

    /** Starts the helper with {@code args}, expects it refused naming {@code option}; returns the error line. */
    String refused(String option, String... args) throws Exception {
        String[] all = new String[args.length + 1];
        all[0] = "--state-dir=" + BUS.dir().resolve("s");
        System.arraycopy(args, 0, all, 1, args.length);
        HelperProcess p = BUS.startHelper(Main.class, all);
        int code = p.awaitExit(Duration.ofSeconds(30));
        assertNotEquals(0, code, p.output());
        assertTrue(p.output().contains(option), p.output());
        assertTrue(p.output().lines().filter(l -> l.contains(" error ")).count() == 1, p.output());
        return p.output().lines().filter(l -> l.contains(" error ")).findFirst().orElseThrow();
    }

    @Test
    void invalidOptionsAreRefusedNamingTheOption() throws Exception {
        refused("--netdev-socket");
        refused("--network", "--udp-bind", "127.0.0.1", "--dhcp-port", "0", "--dns-port", "0", "--network", "10.0.2.0");
        refused("--network", "--udp-bind", "127.0.0.1", "--network", "10.0.2.1/24");
        refused("--domain", "--udp-bind", "127.0.0.1", "--domain", "bad domain!");
        refused("--upstream", "--udp-bind", "127.0.0.1", "--upstream", "resolver.example:53");
        refused("--lease-time", "--udp-bind", "127.0.0.1", "--lease-time", "5");
        refused("--udp-bind", "--udp-bind", "localhost");
    }

    /** Front ends (--fd, --netdev-dgram, --netns/--tap): each bad combination is one config error line. */
    @Test
    void badFrontEndOptionsAreConfigErrors() throws Exception {
        assertTrue(refused("--fd", "--fd", "99").contains("not open"));
        assertTrue(refused("--fd", "--fd", "0").contains("not a socket")); // the launcher's stdin is a pipe
        String both = refused("--netdev-socket", "--netdev-socket", BUS.dir().resolve("x.sock").toString(), "--fd",
                "32");
        assertTrue(both.contains("--fd") && both.contains("one guest front end"), both);
        refused("--tap", "--tap", "tap0");
        refused("--netns", "--netns", "/run/netns/no-such-namespace-here", "--tap", "tap0");
        String self = String.valueOf(ProcessHandle.current().pid()); // a PID whose namespace exists
        refused("--netns", "--netns", self);
        refused("--tap", "--netns", self, "--tap", "much-too-long-name");
    }

    @Test
    void aPortInUseIsAStartupFailureWithAReason() throws Exception {
        try (java.net.DatagramSocket taken = new java.net.DatagramSocket(0,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            HelperProcess p = BUS.startHelper(Main.class, "--state-dir=" + BUS.dir().resolve("s2"), "--udp-bind",
                    "127.0.0.1", "--dhcp-port", "0", "--dns-port", String.valueOf(taken.getLocalPort()));
            int code = p.awaitExit(Duration.ofSeconds(30));
            assertEquals(ExitCodes.STARTUP, code, p.output());
            assertTrue(p.output().contains("cannot listen on 127.0.0.1"), p.output());
        }
    }

    /**
     * issue 11: {@code --netdev-socket FILE} on a regular file deleted it and bound a socket in its place. Each
     * Unix listen path that is not a stale socket is refused with exit 3 naming it, and what is there is kept.
     */
    @Test
    void aListenPathThatIsNotAStaleSocketIsRefusedAndKept() throws Exception {
        for (String option : new String[] {"--netdev-socket", "--netdev-dgram"}) {
            Path file = BUS.dir().resolve("precious" + option + ".txt");
            Files.writeString(file, "precious data");
            HelperProcess p = BUS.startHelper(Main.class, "--state-dir=" + BUS.dir().resolve("s3"), option,
                    file.toString());
            assertEquals(ExitCodes.STARTUP, p.awaitExit(Duration.ofSeconds(30)), p.output());
            assertTrue(p.output().contains("cannot listen on " + file + ": it exists and is not a socket but a regular"
                    + " file"), p.output());
            assertEquals("precious data", Files.readString(file), option);
        }
        Path dir = Files.createDirectories(BUS.dir().resolve("a-directory"));
        HelperProcess p = BUS.startHelper(Main.class, "--state-dir=" + BUS.dir().resolve("s3"), "--netdev-socket",
                dir.toString());
        assertEquals(ExitCodes.STARTUP, p.awaitExit(Duration.ofSeconds(30)), p.output());
        assertTrue(Files.isDirectory(dir), p.output());
    }
}
