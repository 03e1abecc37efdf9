package org.qemu.helpers.common.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A private dbus-daemon per test class, in a temporary directory, never the session or
 * system bus. Any UID may connect (so tests can call as another user with setpriv): the
 * helpers' own trust gate is what is under test. Stopped after the class, always, with
 * every helper process and client connection it handed out.
 */
public final class PrivateBus implements BeforeAllCallback, AfterAllCallback {
    private Path dir;
    private Process daemon;
    private String address;
    private final List<DBusConnection> clients = new ArrayList<>();
    private final List<HelperProcess> helpers = new ArrayList<>();
    private final String extra;

    /** A bus with dbus-daemon's default limits. */
    public PrivateBus() {
        this("");
    }

    /** A bus whose configuration also has {@code extra} (e.g. the {@code <limit>}s of a VM's bus, for the bench). */
    public PrivateBus(String extra) {
        this.extra = extra;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    /** Starts the daemon (done by JUnit for a registered extension). */
    public synchronized void start() throws IOException, InterruptedException {
        Tools.require("dbus-daemon", "dbus-daemon");
        dir = Files.createTempDirectory("qdh-bus");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path config = dir.resolve("bus.conf");
        Files.writeString(config, config(dir.resolve("bus.sock")).replace("</busconfig>", extra + "</busconfig>"));
        daemon = new ProcessBuilder("dbus-daemon", "--config-file=" + config, "--nofork", "--print-address=1")
                .redirectError(dir.resolve("dbus-daemon.log").toFile()).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return r.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        try {
            address = line.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            address = null;
        }
        if (address == null) {
            daemon.destroyForcibly();
            throw new IOException("dbus-daemon did not start: " + Files.readString(dir.resolve("dbus-daemon.log")));
        }
        address = address.trim();
    }

    /** A session-type bus that any local user may use; policy is the helpers' job here. */
    public static String config(Path socket) {
        return """
                <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
                 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
                <busconfig>
                  <type>session</type>
                  <listen>unix:path=%s</listen>
                  <auth>EXTERNAL</auth>
                  <policy context="default">
                    <allow user="*"/>
                    <allow send_destination="*" eavesdrop="true"/>
                    <allow eavesdrop="true"/>
                    <allow own="*"/>
                  </policy>
                </busconfig>
                """.formatted(socket);
    }

    /** Kills every helper process started on this bus (for an @AfterEach after a failed test). */
    public synchronized void killHelpers() {
        for (HelperProcess h : helpers) {
            h.kill();
        }
        helpers.clear();
    }

    /** Stops every helper, client and the daemon; removes the directory. */
    public synchronized void stop() {
        killHelpers();
        for (DBusConnection c : clients) {
            try {
                c.close();
            } catch (IOException | RuntimeException e) {
                // closing anyway
            }
        }
        clients.clear();
        if (daemon != null) {
            daemon.destroy();
            try {
                if (!daemon.waitFor(5, TimeUnit.SECONDS)) {
                    daemon.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            daemon = null;
        }
        if (dir != null) {
            deleteTree(dir);
        }
    }

    /** Kills the daemon (to test what helpers do when the bus is lost). */
    public void killDaemon() throws InterruptedException {
        daemon.destroyForcibly().waitFor();
    }

    public String address() {
        return address;
    }

    /** The address without the ",guid=" part, as QEMU wants it. */
    public String qemuAddress() {
        return "unix:path=" + dir.resolve("bus.sock");
    }

    public Path dir() {
        return dir;
    }

    /** {@code busctl --address=THIS_BUS args...}, as a command line (e.g. for {@link Commands#runAs}). */
    public String[] busctlCommand(String... args) {
        String[] c = new String[args.length + 2];
        c[0] = "busctl";
        c[1] = "--address=" + address;
        System.arraycopy(args, 0, c, 2, args.length);
        return c;
    }

    /** Runs {@code busctl} on this bus. */
    public ProcResult busctl(String... args) throws IOException, InterruptedException {
        return Commands.run(busctlCommand(args));
    }

    /** Every {@code type} signal a fresh client connection receives from now on, in order. */
    public <T extends org.freedesktop.dbus.messages.DBusSignal> java.util.concurrent.BlockingQueue<T> signals(Class<T> type)
            throws DBusException {
        java.util.concurrent.BlockingQueue<T> q = new java.util.concurrent.LinkedBlockingQueue<>();
        connect().addSigHandler(type, q::add);
        return q;
    }

    /** The value of property {@code iface.name} of {@code path} at {@code dest}, read by a client of this UID. */
    public Object property(String dest, String path, String iface, String name) throws DBusException {
        return connect().getRemoteObject(dest, path, org.freedesktop.dbus.interfaces.Properties.class).Get(iface, name);
    }

    /** busctl call as {@code uid} (setpriv): {@code member} is INTERFACE.METHOD. */
    public ProcResult callAs(long uid, String dest, String path, String member, String signature, String... args)
            throws IOException, InterruptedException {
        int dot = member.lastIndexOf('.');
        List<String> c = new ArrayList<>(List.of("call", dest, path, member.substring(0, dot), member.substring(dot + 1),
                signature));
        c.addAll(List.of(args));
        return Commands.runAs(uid, busctlCommand(c.toArray(String[]::new)));
    }

    /** A client connection, closed with the bus. */
    public synchronized DBusConnection connect() throws DBusException {
        DBusConnection c = DBusConnectionBuilder.forAddress(address).withShared(false).build();
        clients.add(c);
        return c;
    }

    /** Starts {@code mainClass} as its own JVM on this bus ({@code --bus-address} is added unless given). */
    public synchronized HelperProcess startHelper(Class<?> mainClass, String... args) throws IOException {
        return startHelper(List.of(), mainClass, args);
    }

    /** As {@link #startHelper(Class, String...)} with extra JVM flags (e.g. {@code -Xmx768m}). */
    public synchronized HelperProcess startHelper(List<String> jvmFlags, Class<?> mainClass, String... args)
            throws IOException {
        boolean ownAddress = java.util.Arrays.stream(args).anyMatch(a -> a.startsWith("--bus-address"));
        HelperProcess p = HelperProcess.start(jvmFlags, mainClass, ownAddress ? null : address, dir, List.of(args));
        helpers.add(p);
        return p;
    }

    static void deleteTree(Path root) {
        try (var s = Files.walk(root)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort on a temp dir
        }
    }
}
