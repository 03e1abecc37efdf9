package org.qemu.helpers.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.interfaces.DBus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.qemu.helpers.common.systemd.NotifyAddress;
import org.qemu.helpers.common.systemd.UnixDatagramSocket;
import org.qemu.helpers.common.testing.PrivateBus;

/**
 * sd_notify as systemd's Type=notify sees it: each helper, run by its generated launcher (the
 * packaged one, from the launcher's JVM flags) with a NOTIFY_SOCKET this test binds, sends
 * READY=1 with a STATUS= line as its first message, and at that moment its name is owned and
 * every socket it serves accepts; on SIGTERM it sends STOPPING=1 and exits 0. Abstract addresses
 * for two helpers, file-system paths for the other two.
 */
class NotifyReadinessTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    private Process helper;
    private Path log;

    @AfterEach
    void stop() throws Exception {
        if (helper != null && helper.isAlive()) {
            helper.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @EnumSource(HelperKind.class)
    void readyOnlyWhenTheNameIsOwnedAndTheSocketsAccept(HelperKind k) throws Exception {
        Path repoJar = LaunchDemoTest.REPO.resolve(k.jar());
        assertTrue(Files.isRegularFile(repoJar), "run 'mvn package' first: " + k.jar());
        Path dir = Files.createTempDirectory(BUS.dir(), k.shortName());
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        VmLayout vm = new VmLayout(dir);
        Files.createDirectories(vm.run());
        Files.createDirectories(vm.compressRoot());
        Path launcher = dir.resolve(k.shortName());
        Files.writeString(launcher, JvmFlagsCommand.launcher(k, repoJar));
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwx------"));

        String notify = k.ordinal() % 2 == 0 ? "@qdh-notify-test/" + ProcessHandle.current().pid() + "/" + k.shortName()
                : dir.resolve("notify").toString();
        int webPort = LaunchDemoTest.freePort();
        List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
        cmd.addAll(HelperArgs.subcommand(k));
        cmd.add("--bus-address=" + BUS.address());
        cmd.add("--state-dir=" + vm.state(k));
        cmd.addAll(HelperArgs.helperOptions(k, vm, "127.0.0.1:" + webPort));
        log = dir.resolve("helper.log");
        try (UnixDatagramSocket manager = UnixDatagramSocket.bind(NotifyAddress.parse(notify));
             DBusConnection c = BUS.connect()) {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("NOTIFY_SOCKET", notify);
            helper = pb.start();
            DBus daemon = c.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);

            String first = receive(manager, 90_000);
            // checked at once: had READY=1 come before the name or a listener, one of these would fail
            boolean owned = daemon.NameHasOwner(k.busName());
            List<String> refused = refusedSockets(k, vm, webPort);
            assertTrue(first.startsWith("READY=1\n"), "first message is READY=1: " + first);
            assertTrue(first.contains("\nSTATUS=ready"), first);
            assertTrue(owned, k.busName() + " owned when READY=1 arrived");
            assertEquals(List.of(), refused, "sockets refusing when READY=1 arrived");
            assertEquals(helper.pid(), mainPidOf(k, c), "the bus name's owner is the launcher's PID (NotifyAccess=main)");

            helper.destroy(); // SIGTERM, as systemctl stop
            String stopping = receive(manager, 20_000);
            assertTrue(stopping.startsWith("STOPPING=1\n"), "then STOPPING=1: " + stopping);
            assertTrue(helper.waitFor(20, TimeUnit.SECONDS), "exits after SIGTERM");
            assertEquals(0, helper.exitValue(), output());
            assertTrue(!daemon.NameHasOwner(k.busName()), "name released");
        }
    }

    private String receive(UnixDatagramSocket manager, long timeoutMs) throws IOException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < end) {
            byte[] d = manager.receive(4096, 200);
            if (d != null) {
                return new String(d, StandardCharsets.UTF_8);
            }
            if (!helper.isAlive()) {
                throw new AssertionError("helper exited with " + helper.exitValue() + " before notifying:\n" + output());
            }
        }
        throw new AssertionError("no notification within " + timeoutMs + " ms:\n" + output());
    }

    /** The sockets the helper serves (launcher layout) that do not accept a connection now. */
    private static List<String> refusedSockets(HelperKind k, VmLayout vm, int webPort) {
        List<String> refused = new ArrayList<>();
        List<Object> endpoints = switch (k) {
            case SLIRP_DHCP -> List.of(vm.slirpSocket());
            case TPM_STUB -> List.of(vm.tpmData(), vm.tpmCtrl());
            case UI_CLIENT -> List.of(new InetSocketAddress("127.0.0.1", webPort));
            case COMPRESS -> List.of();
        };
        for (Object e : endpoints) {
            try (SocketChannel ch = e instanceof Path p ? SocketChannel.open(StandardProtocolFamily.UNIX)
                    : SocketChannel.open()) {
                ch.connect(e instanceof Path p ? UnixDomainSocketAddress.of(p) : (InetSocketAddress) e);
            } catch (IOException ex) {
                refused.add(e + ": " + ex.getMessage());
            }
        }
        return refused;
    }

    private static long mainPidOf(HelperKind k, DBusConnection c) throws Exception {
        DBus daemon = c.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
        return daemon.GetConnectionUnixProcessID(k.busName()).longValue();
    }

    private String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no output)";
        }
    }
}
