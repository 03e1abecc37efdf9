package org.qemu.helpers.common.bus;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.qemu.helpers.common.sample.SampleHelper;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.PrivateBusAccess;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Tools;

/**
 * Signals carry what only entitled peers may read: a vmm peer (QEMU's user) must hear neither
 * the Value in PropertiesChanged nor the ValueSet signal, even where the bus policy lets every
 * peer receive every signal, and cannot eavesdrop them; a helper peer hears both. Real
 * dbus-daemon, peers of real UIDs (setpriv), the receive and eavesdrop rules of each layout.
 */
class SignalReadLevelTest {
    static final long VMM = 65534; // nobody
    static final long HELPER_PEER = 1; // daemon (base-passwd): another helper's user

    /** Default context of deploy's two-UID and UID-per-helper layouts: every member receives every signal. */
    static final String SPLIT_DEFAULT = """
                  <policy context="default">
                    <allow user="0"/>
                    <allow user="1"/>
                    <allow user="65534"/>
                    <deny own="*"/>
                    <deny send_type="method_call"/>
                    <allow send_type="signal"/>
                    <allow send_requested_reply="true" send_type="method_return"/>
                    <allow send_requested_reply="true" send_type="error"/>
                    <allow receive_type="method_call"/>
                    <allow receive_type="method_return"/>
                    <allow receive_type="error"/>
                    <allow receive_type="signal"/>
                    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
                    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
                    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
                    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Peer"/>
                  </policy>
                """;

    /** The receive and eavesdrop rules of each bus layout (deploy's bus-config, libvirt's own per-VM bus). */
    enum Layout {
        /** deploy's one-UID layout: only the daemon's user connects (everyone is admin to everyone). */
        ONE_UID(-1, true, """
                  <policy context="default">
                    <allow send_destination="*" eavesdrop="true"/>
                    <allow eavesdrop="true"/>
                    <allow own="*"/>
                  </policy>
                """),
        /** deploy's two-UID layout: QEMU's user, and one user (here root) for every helper. */
        TWO_UIDS(0, false, SPLIT_DEFAULT + """
                  <policy user="0"><allow own="org.qemu.Sample1"/><allow send_destination="*"/></policy>
                  <policy user="65534"><allow send_destination="org.qemu.Sample1"/></policy>
                """),
        /** deploy's UID-per-helper layout: QEMU's user, this helper's (root) and another helper's. */
        UID_PER_HELPER(HELPER_PEER, false, SPLIT_DEFAULT + """
                  <policy user="0"><allow own="org.qemu.Sample1"/><allow send_destination="*"/></policy>
                  <policy user="65534"><allow send_destination="org.qemu.Sample1"/></policy>
                  <policy user="1"><allow send_destination="org.qemu.Sample1"/></policy>
                """),
        /**
         * libvirt 9.0's per-VM bus, as the test harness's own bus: every peer may send, receive, own
         * and eavesdrop anything; the unicast copies keep a subscribed vmm out, an eavesdropping one
         * cannot be kept out there.
         */
        LIBVIRT(HELPER_PEER, true, null);

        final long helperPeer;
        final boolean eavesdropAllowed;
        final String policy;

        Layout(long helperPeer, boolean eavesdropAllowed, String policy) {
            this.helperPeer = helperPeer;
            this.eavesdropAllowed = eavesdropAllowed;
            this.policy = policy;
        }
    }

    Path dir;
    Process daemon;
    String address;
    final List<Process> listeners = new ArrayList<>();

    @BeforeEach
    void dir() throws Exception {
        Tools.require("dbus-daemon", "dbus-daemon");
        Tools.require("gdbus", "libglib2.0-bin");
        Tools.require("dbus-monitor", "dbus-bin");
        dir = Files.createTempDirectory("qdh-siglevel");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void stop() throws Exception {
        for (Process p : listeners) {
            p.destroy();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        if (daemon != null) {
            daemon.destroy();
            daemon.waitFor(5, TimeUnit.SECONDS);
        }
        Commands.run("rm", "-rf", dir.toString());
    }

    @ParameterizedTest
    @EnumSource(Layout.class)
    void onlyPeersThatMayReadTheValueHearIt(Layout layout) throws Exception {
        startDaemon(layout.policy == null ? PrivateBus.config(dir.resolve("bus.sock")) : wrap(layout.policy));
        Path policy = dir.resolve("policy.json");
        Files.writeString(policy, "{\"rules\": [{\"uid\": 0, \"level\": \"admin\"}, {\"uid\": " + HELPER_PEER
                + ", \"level\": \"helper\"}, {\"uid\": " + VMM + ", \"level\": \"vmm\"}]}");
        HelperProcess helper = PrivateBusAccess.start(SampleHelper.class, dir, List.of("--bus-address=" + address,
                "--vmstate-id=", "--initial=v0", "--policy=" + policy, "--state-dir=" + dir.resolve("state")))
                .awaitReady(Duration.ofSeconds(30));
        try {
            if (layout == Layout.ONE_UID) {
                ProcResult other = Commands.runAs(VMM, "busctl", "--address=" + address, "list");
                assertFalse(other.ok(), "in the one-UID layout another user cannot even connect: " + other);
                return;
            }
            Path vmmHeard = listen(VMM, "vmm", "gdbus", "monitor", "--address", address, "--dest", "org.qemu.Sample1");
            Path vmmEavesdropped = listen(VMM, "vmm-eavesdrop", "dbus-monitor", "--address", address);
            Path helperHeard = listen(layout.helperPeer, "helper", "gdbus", "monitor", "--address", address,
                    "--dest", "org.qemu.Sample1");
            Thread.sleep(1000); // the listeners connect and add their match rules
            ProcResult set = Commands.run("busctl", "--address=" + address, "call", "org.qemu.Sample1",
                    "/org/qemu/Sample1", "org.qemu.Sample1", "SetValue", "s", "secret-value");
            assertTrue(set.ok(), set.toString());
            Thread.sleep(1000);
            for (Process p : listeners) {
                p.destroy();
                p.waitFor(5, TimeUnit.SECONDS);
            }

            String helperText = Files.readString(helperHeard);
            assertTrue(helperText.contains("org.freedesktop.DBus.Properties.PropertiesChanged")
                    && helperText.contains("org.qemu.Sample1.ValueSet") && helperText.contains("secret-value"),
                    "a helper peer hears the change: " + helperText);
            String vmmText = Files.readString(vmmHeard);
            assertTrue(vmmText.contains("is owned by"), "the vmm listener was connected and following the helper: "
                    + vmmText);
            assertFalse(vmmText.contains("secret-value") || vmmText.contains("ValueSet"),
                    "a vmm peer must not hear what it may not read: " + vmmText);
            String eavesdropText = Files.readString(vmmEavesdropped);
            assertTrue(eavesdropText.contains("NameAcquired") || eavesdropText.contains("signal"),
                    "dbus-monitor as vmm was connected: " + eavesdropText);
            if (!layout.eavesdropAllowed) {
                assertFalse(eavesdropText.contains("secret-value"), "a vmm peer cannot eavesdrop it: " + eavesdropText);
            }
        } finally {
            helper.stop();
        }
    }

    private Path listen(long uid, String name, String... command) throws Exception {
        Path out = dir.resolve(name + ".txt");
        List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups"));
        c.addAll(List.of(command));
        listeners.add(new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(out.toFile()).start());
        return out;
    }

    private String wrap(String policy) {
        return """
                <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
                 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
                <busconfig>
                  <type>qemu-vm</type>
                  <listen>unix:path=%s</listen>
                  <auth>EXTERNAL</auth>
                %s</busconfig>
                """.formatted(dir.resolve("bus.sock"), policy);
    }

    private void startDaemon(String config) throws Exception {
        Path conf = dir.resolve("bus.conf");
        Files.writeString(conf, config);
        daemon = new ProcessBuilder("dbus-daemon", "--config-file=" + conf, "--nofork", "--print-address=1")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        address = new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertTrue(address != null && address.startsWith("unix:"), "dbus-daemon refused the config");
    }
}
