package org.qemu.helpers.deploy.libvirt;

import java.util.List;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.interfaces.DBus;
import org.qemu.helpers.common.cli.CommonOptions;
import org.qemu.helpers.common.discovery.HelperDirectory;
import org.qemu.helpers.common.discovery.HelperInfo;
import org.qemu.helpers.common.trust.PeerTrust;
import org.qemu.helpers.common.trust.TrustPolicy;
import org.qemu.helpers.slirpdhcp.dbus.SlirpDhcp1;
import org.qemu.helpers.slirpdhcp.libvirt.InstanceOptions;

/** A client on a domain's bus: the slirp helper of each NIC (by the instance name its MAC gives) and discovery. */
final class SlirpBus implements AutoCloseable {
    final DBusConnection connection;

    SlirpBus(String address) throws Exception {
        connection = DBusConnectionBuilder.forAddress(address).withShared(false).build();
    }

    /** The bus name of the helper libvirt started for the NIC with {@code mac}: its --dbus-id is slirp-MAC. */
    static String busName(String mac) {
        return SlirpDhcp1.NAME + "." + InstanceOptions.instanceFor("slirp-" + mac);
    }

    SlirpDhcp1 helper(String mac) throws Exception {
        return connection.getRemoteObject(busName(mac), SlirpDhcp1.PATH, SlirpDhcp1.class);
    }

    List<String> names() throws Exception {
        return List.of(connection.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class)
                .ListNames());
    }

    /** Waits until discovery lists {@code busName} with Status ready (its objects are exported by then). */
    void awaitReady(String busName, java.time.Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<HelperInfo> seen = List.of();
        while (System.nanoTime() < deadline) {
            seen = helpers();
            if (seen.stream().anyMatch(h -> h.busName().equals(busName) && h.status().equals("ready"))) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(busName + " not ready within " + timeout.toSeconds() + " s; on the bus: " + seen);
    }

    /** What discovery (org.qemu.Helper1) lists on this bus. */
    List<HelperInfo> helpers() throws Exception {
        try (PeerTrust trust = new PeerTrust(connection, TrustPolicy.ownUidOnly(CommonOptions.ownUid()));
             HelperDirectory d = HelperDirectory.open(connection, trust)) {
            return d.list();
        }
    }

    @Override
    public void close() {
        connection.disconnect();
    }
}
