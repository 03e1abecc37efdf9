package org.qemu.helpers.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.sample.SampleHelper;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Tools;

/**
 * The generated bus configurations, loaded by a real dbus-daemon and exercised by peers of
 * different UIDs (setpriv): who may own which name, who may call whom, who hears signals.
 */
class BusConfigTest {
    static final long QEMU = 65534;
    // Users every Debian system has (base-passwd): dbus-daemon wants UIDs that exist.
    static final long SLIRP = 1; // daemon
    static final long TPM = 2; // bin
    static final long UI = 3; // sys
    static final long ROOT = 0;

    Path dir;
    Process daemon;
    String address;

    @BeforeEach
    void dir() throws Exception {
        Tools.require("dbus-daemon", "dbus-daemon");
        dir = Files.createTempDirectory("qdh-buscfg");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) {
            daemon.destroy();
            daemon.waitFor(5, TimeUnit.SECONDS);
        }
        Commands.run("rm", "-rf", dir.toString());
    }

    void startDaemon(String config) throws Exception {
        Path conf = dir.resolve("bus.conf");
        Files.writeString(conf, config);
        daemon = new ProcessBuilder("dbus-daemon", "--config-file=" + conf, "--nofork", "--print-address=1")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        address = new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertTrue(address != null && address.startsWith("unix:"), "dbus-daemon refused the config:\n" + config);
    }

    ProcResult requestName(long uid, String name) throws Exception {
        return Commands.runAs(uid, "busctl", "--address=" + address, "call", "org.freedesktop.DBus",
                "/org/freedesktop/DBus", "org.freedesktop.DBus", "RequestName", "su", name, "4");
    }

    void assertMayOwn(long uid, String name) throws Exception {
        ProcResult r = requestName(uid, name);
        assertEquals("u 1", r.stdout().strip(), "uid " + uid + " should own " + name + ": " + r);
    }

    void assertMayNotOwn(long uid, String name) throws Exception {
        ProcResult r = requestName(uid, name);
        assertTrue(!r.ok() && r.stderr().contains("Access denied"), "uid " + uid + " must not own " + name + ": " + r);
    }

    @Test
    void twoUidsOnlyTheHelperUserOwnsHelperNamesAndQemuCallsAndHearsThem() throws Exception {
        startDaemon(BusConfig.twoUids(dir.resolve("bus.sock"), QEMU, ROOT, ROOT));
        assertMayNotOwn(QEMU, "org.qemu.Compress1");
        assertMayNotOwn(QEMU, "org.qemu.VMState1");
        assertMayOwn(QEMU, "org.qemu");

        Path policy = qemuIsHelperPolicy();
        HelperProcess helper = HelperProcess.class.cast(startSample("org.qemu.Compress1", policy));
        try {
            ProcResult call = Commands.runAs(QEMU, "busctl", "--address=" + address, "call", "org.qemu.Compress1",
                    "/org/qemu/Sample1", "org.qemu.Sample1", "GetValue");
            assertEquals("s \"v0\"", call.stdout().strip(), call.toString());

            Path heardFile = dir.resolve("monitor.txt");
            Process monitor = new ProcessBuilder("setpriv", "--reuid=" + QEMU, "--regid=" + QEMU, "--clear-groups",
                    "gdbus", "monitor", "--address", address, "--dest", "org.qemu.Compress1")
                    .redirectErrorStream(true).redirectOutput(heardFile.toFile()).start();
            try {
                Thread.sleep(700); // let gdbus add its match rule
                ProcResult set = Commands.run("busctl", "--address=" + address, "call", "org.qemu.Compress1",
                        "/org/qemu/Sample1", "org.qemu.Sample1", "SetValue", "s", "signalled");
                assertTrue(set.ok(), set.toString());
                Thread.sleep(700);
            } finally {
                monitor.destroy();
                monitor.waitFor(5, TimeUnit.SECONDS);
            }
            String heard = Files.readString(heardFile);
            assertTrue(heard.contains("org.freedesktop.DBus.Properties.PropertiesChanged")
                    && heard.contains("signalled"), heard);
        } finally {
            helper.stop();
        }
    }

    /** The sample helpers' policy: root admin, QEMU's user allowed to call (the bus config is what is tested). */
    private Path qemuIsHelperPolicy() throws Exception {
        Path policy = dir.resolve("policy.json");
        Files.writeString(policy, "{\"rules\": [{\"uid\": 0, \"level\": \"admin\"}, {\"uid\": " + QEMU
                + ", \"level\": \"helper\"}]}");
        return policy;
    }

    private HelperProcess startSample(String busName, Path policy) throws Exception {
        HelperProcess p = startHelperProcess(List.of("--bus-address=" + address, "--bus-name=" + busName,
                "--vmstate-id=", "--initial=v0", "--policy=" + policy, "--state-dir=" + dir.resolve("state-" + busName)));
        return p.awaitReady(Duration.ofSeconds(30));
    }

    private HelperProcess startHelperProcess(List<String> args) throws Exception {
        return org.qemu.helpers.common.testing.PrivateBusAccess.start(SampleHelper.class, dir, args);
    }

    @Test
    void uidPerHelperEachUserOwnsOnlyItsOwnName() throws Exception {
        startDaemon(BusConfig.uidPerHelper(dir.resolve("bus.sock"), QEMU, Map.of(HelperKind.SLIRP_DHCP, SLIRP,
                HelperKind.TPM_STUB, TPM, HelperKind.UI_CLIENT, UI, HelperKind.COMPRESS, ROOT), ROOT));
        assertMayOwn(SLIRP, "org.qemu.SlirpDhcp1");
        assertMayNotOwn(SLIRP, "org.qemu.TpmStub1");
        assertMayOwn(SLIRP, "org.qemu.VMState1");
        assertMayOwn(TPM, "org.qemu.TpmStub1");
        assertMayOwn(UI, "org.qemu.UiClient1");
        assertMayNotOwn(UI, "org.qemu.VMState1");
        assertMayNotOwn(UI, "org.qemu");
        assertMayNotOwn(QEMU, "org.qemu.SlirpDhcp1");
        ProcResult stranger = Commands.runAs(4 /* sync */, "busctl", "--address=" + address, "list");
        assertTrue(!stranger.ok(), "a user outside the VM cannot connect: " + stranger);
    }

    @Test
    void slirpInstancesOneNicEachAreOwnedByTheSlirpUserAloneAndQemuCallsBoth() throws Exception {
        String nic1 = "org.qemu.SlirpDhcp1.slirp_52_54_00_aa_bb_01";
        String nic2 = "org.qemu.SlirpDhcp1.slirp_52_54_00_aa_bb_02";
        startDaemon(BusConfig.uidPerHelper(dir.resolve("bus.sock"), QEMU, Map.of(HelperKind.SLIRP_DHCP, SLIRP,
                HelperKind.TPM_STUB, TPM, HelperKind.UI_CLIENT, UI, HelperKind.COMPRESS, ROOT), ROOT));
        assertMayOwn(SLIRP, nic1);
        assertMayOwn(SLIRP, nic2);
        assertMayOwn(SLIRP, "org.qemu.SlirpDhcp1");
        assertMayNotOwn(SLIRP, "org.qemu.SlirpDhcp10"); // a prefix matches whole dot-separated elements only
        assertMayNotOwn(SLIRP, "org.qemu.SlirpDhcp1x.a");
        assertMayNotOwn(SLIRP, "org.qemu.TpmStub1.slirp_52_54_00_aa_bb_01");
        assertMayNotOwn(QEMU, nic1);
        assertMayNotOwn(TPM, nic2);
        daemon.destroy();
        daemon.waitFor(5, TimeUnit.SECONDS);

        // two helpers on one bus, one per NIC (as libvirt starts them), both called by QEMU's user
        startDaemon(BusConfig.twoUids(dir.resolve("bus.sock"), QEMU, ROOT, ROOT));
        Path policy = qemuIsHelperPolicy();
        HelperProcess first = startSample(nic1, policy);
        try {
            HelperProcess second = startSample(nic2, policy);
            try {
                for (String name : List.of(nic1, nic2)) {
                    ProcResult call = Commands.runAs(QEMU, "busctl", "--address=" + address, "call", name,
                            "/org/qemu/Sample1", "org.qemu.Sample1", "GetValue");
                    assertEquals("s \"v0\"", call.stdout().strip(), name + ": " + call);
                }
                assertMayNotOwn(QEMU, "org.qemu.SlirpDhcp1.slirp_52_54_00_aa_bb_03");
            } finally {
                second.stop();
            }
        } finally {
            first.stop();
        }
    }

    @Test
    void oneUidIsAcceptedByDbusDaemon() throws Exception {
        startDaemon(BusConfig.oneUid(dir.resolve("bus.sock")));
        assertMayOwn(ROOT, "org.qemu.SlirpDhcp1");
    }

    /** A peer whose one method answers only after 10 s: calls to it stay pending at the daemon meanwhile. */
    @org.freedesktop.dbus.annotations.DBusInterfaceName("org.qemu.Slow1")
    public interface Slow1 extends org.freedesktop.dbus.interfaces.DBusInterface {
        String Wait();
    }

    @Test
    void theLimitsHoldOneUidToItsConnectionsAndAConnectionToItsPendingCalls() throws Exception {
        startDaemon(BusConfig.oneUid(dir.resolve("bus.sock")));
        List<org.freedesktop.dbus.connections.impl.DBusConnection> open = new java.util.ArrayList<>();
        try {
            org.freedesktop.dbus.connections.impl.DBusConnection slow = connect();
            open.add(slow);
            slow.exportObject("/slow", new Slow1() {
                @Override
                public String Wait() {
                    try {
                        Thread.sleep(10_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return "late";
                }

                @Override
                public String getObjectPath() {
                    return "/slow";
                }
            });
            org.freedesktop.dbus.connections.impl.DBusConnection caller = connect();
            open.add(caller);
            List<org.freedesktop.dbus.messages.MethodCall> calls = new java.util.ArrayList<>();
            for (int i = 0; i <= BusConfig.MAX_REPLIES_PER_CONNECTION; i++) {
                org.freedesktop.dbus.messages.MethodCall m = caller.getMessageFactory().createMethodCall(
                        slow.getUniqueName(), "/slow", "org.qemu.Slow1", "Wait", (byte) 0, null);
                caller.sendMessage(m);
                calls.add(m);
            }
            org.freedesktop.dbus.messages.Message last = calls.get(calls.size() - 1).getReply(5_000);
            assertTrue(last != null && "org.freedesktop.DBus.Error.LimitsExceeded".equals(last.getName()),
                    "call " + calls.size() + " of one connection, the others pending: " + (last == null ? "no reply"
                            : last.getName()));
            assertTrue(!calls.get(0).hasReply(), "the first call was answered already");

            // the 64-client bench, QEMU, libvirt and the helpers under one UID fit; one more than the limit does not
            int more = BusConfig.MAX_CONNECTIONS_PER_USER - open.size();
            for (int i = 0; i < more; i++) {
                open.add(connect());
            }
            boolean refused;
            try {
                open.add(connect());
                refused = false;
            } catch (org.freedesktop.dbus.exceptions.DBusException | RuntimeException e) {
                refused = true;
            }
            assertTrue(refused, "connection " + (BusConfig.MAX_CONNECTIONS_PER_USER + 1) + " of one UID was accepted");
        } finally {
            for (org.freedesktop.dbus.connections.impl.DBusConnection c : open) {
                c.disconnect();
            }
        }
    }

    org.freedesktop.dbus.connections.impl.DBusConnection connect() throws Exception {
        return org.freedesktop.dbus.connections.impl.DBusConnectionBuilder.forAddress(address).withShared(false)
                .build();
    }

    @Test
    void everyLayoutCarriesTheLimits() {
        Path s = dir.resolve("bus.sock");
        for (String config : List.of(BusConfig.oneUid(s), BusConfig.twoUids(s, QEMU, SLIRP, ROOT),
                BusConfig.uidPerHelper(s, QEMU, Map.of(HelperKind.SLIRP_DHCP, SLIRP), ROOT))) {
            assertTrue(config.contains("<limit name=\"max_connections_per_user\">128</limit>")
                    && config.contains("<limit name=\"max_replies_per_connection\">32</limit>"), config);
        }
    }
}
