package org.qemu.helpers.common.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.interfaces.DBus;
import org.freedesktop.dbus.interfaces.Properties;
import org.qemu.helpers.common.discovery.Helper1;

/** What "ready" must mean for every helper (issue 14): when its name appears, its listeners accept. */
public final class Readiness {
    private Readiness() {
    }

    /** Polls for {@code name} every few milliseconds; when it appears, checks that {@code socket} accepts. */
    public static void assertListeningWhenNamed(DBusConnection c, String name, Path socket, HelperProcess p) throws Exception {
        DBus daemon = c.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!daemon.NameHasOwner(name)) {
            assertTrue(p.isAlive() && System.nanoTime() < end, "the helper never owned " + name + ":\n" + p.output());
            Thread.sleep(2);
        }
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            assertTrue(ch.isConnected());
        } catch (java.io.IOException e) {
            throw new AssertionError(name + " is owned but " + socket + " does not accept (" + e + "):\n" + p.output());
        }
        Object status = c.getRemoteObject(name, Helper1.PATH, Properties.class).Get(Helper1.INTERFACE, "Status");
        assertEquals("ready", status, p.output());
    }

}
