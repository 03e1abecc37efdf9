package org.qemu.helpers.uiclient.testutil;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;

/**
 * A private dbus-daemon for one test class (never the system bus). Phase-1 stand-in for
 * common's testing.PrivateBus, which the bus-level tests of the service use.
 */
public final class TestBus implements AutoCloseable {
    private final Process daemon;
    private final Path dir;
    private final String address;

    private TestBus(Process daemon, Path dir, String address) {
        this.daemon = daemon;
        this.dir = dir;
        this.address = address;
    }

    public static TestBus start() throws IOException, InterruptedException {
        Qemu.requireTool("dbus-daemon", "dbus-daemon");
        Path dir = Files.createTempDirectory("ui-client-bus");
        Path sock = dir.resolve("bus.sock");
        Path conf = dir.resolve("bus.conf");
        Files.writeString(conf, "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                + " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                + "<busconfig><type>session</type><listen>unix:path=" + sock + "</listen><auth>EXTERNAL</auth>"
                + "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
                + "<allow eavesdrop=\"true\"/><allow own=\"*\"/><allow user=\"*\"/></policy></busconfig>\n");
        Process p = new ProcessBuilder("timeout", "-s", "KILL", "900", "dbus-daemon", "--config-file=" + conf,
                "--nofork", "--nopidfile").redirectErrorStream(true)
                .redirectOutput(dir.resolve("dbus.log").toFile()).start();
        for (int i = 0; i < 100 && !Files.exists(sock); i++) {
            Thread.sleep(50);
        }
        if (!Files.exists(sock)) {
            p.destroyForcibly();
            throw new IOException("dbus-daemon did not create " + sock);
        }
        TestBus b = new TestBus(p, dir, "unix:path=" + sock);
        Runtime.getRuntime().addShutdownHook(new Thread(b::close));
        return b;
    }

    public String address() {
        return address;
    }

    public Path dir() {
        return dir;
    }

    public DBusConnection connect() throws DBusException {
        return DBusConnectionBuilder.forAddress(address).build();
    }

    @Override
    public void close() {
        daemon.descendants().forEach(ProcessHandle::destroyForcibly);
        daemon.destroyForcibly();
        try {
            daemon.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteTree(dir);
    }

    /** Remove a temporary directory tree, ignoring what is already gone. */
    public static void deleteTree(Path root) {
        try (var walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // already gone
        }
    }
}
