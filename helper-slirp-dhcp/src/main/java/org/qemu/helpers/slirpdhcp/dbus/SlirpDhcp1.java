package org.qemu.helpers.slirpdhcp.dbus;

import java.util.List;
import java.util.Map;
import org.freedesktop.dbus.TypeRef;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.DBusProperty;
import org.freedesktop.dbus.annotations.DBusProperty.Access;
import org.freedesktop.dbus.annotations.PropertiesEmitsChangedSignal;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.types.UInt16;
import org.freedesktop.dbus.types.UInt64;
import org.qemu.helpers.common.trust.MinTrust;
import org.qemu.helpers.common.trust.TrustLevel;

/**
 * {@code org.qemu.SlirpDhcp1} at {@code /org/qemu/SlirpDhcp1} (CONTRACT.md): leases, static leases and local DNS
 * names of the VM's user-mode network. Introspection: SlirpDhcp1.xml beside this class.
 */
@DBusInterfaceName("org.qemu.SlirpDhcp1")
// Counters change with every packet: no PropertiesChanged is sent for them, and introspection says so.
@DBusProperty(name = "Statistics", type = SlirpDhcp1.StatisticsType.class, access = Access.READ,
        emitChangeSignal = PropertiesEmitsChangedSignal.EmitChangeSignal.FALSE)
public interface SlirpDhcp1 extends DBusInterface {
    /** Gives introspection the property's full type, a{st}. */
    interface StatisticsType extends TypeRef<Map<String, UInt64>> {
    }

    String NAME = "org.qemu.SlirpDhcp1";
    String PATH = "/org/qemu/SlirpDhcp1";

    /** Static leases (expiry 0) and dynamic leases (expiry in Unix seconds). */
    @MinTrust(TrustLevel.HELPER)
    List<LeaseEntry> ListLeases();

    /** Reserves {@code ip} for {@code mac}; a non-empty {@code hostname} is sent as option 12 and published in DNS. */
    @MinTrust(TrustLevel.ADMIN)
    void AddStaticLease(String mac, String ip, String hostname);

    @MinTrust(TrustLevel.ADMIN)
    void RemoveStaticLease(String mac);

    /** Publishes {@code name} (A and PTR); a name without a dot is taken relative to the VM domain. */
    @MinTrust(TrustLevel.HELPER)
    void AddHostRecord(String name, String address);

    @MinTrust(TrustLevel.HELPER)
    void RemoveHostRecord(String name);

    @MinTrust(TrustLevel.HELPER)
    List<HostEntry> ListHostRecords();

    /**
     * Forwards {@code host_address:host_port} on the host to {@code guest_address:guest_port} in the guest
     * (libslirp's hostfwd); an empty guest address means the guest's current lease, host port 0 any free port.
     * Returns the host port bound. Migrates with the VM; not kept across a restart of the helper.
     */
    @MinTrust(TrustLevel.ADMIN)
    UInt16 AddForward(String proto, String hostAddress, UInt16 hostPort, String guestAddress, UInt16 guestPort);

    @MinTrust(TrustLevel.ADMIN)
    void RemoveForward(String proto, String hostAddress, UInt16 hostPort);

    @MinTrust(TrustLevel.ADMIN)
    List<ForwardEntry> ListForwards();

    /** The NAT's flows now: what the guest talks to, through which host socket, and what is buffered. */
    @MinTrust(TrustLevel.HELPER)
    List<FlowEntry> ListFlows();

    /** A guest got a new lease (or an admin added a static one). */
    final class LeaseAdded extends DBusSignal {
        private final String mac;
        private final String ip;
        private final String hostname;

        public LeaseAdded(String path, String mac, String ip, String hostname) throws DBusException {
            super(path, mac, ip, hostname);
            this.mac = mac;
            this.ip = ip;
            this.hostname = hostname;
        }

        public String getMac() {
            return mac;
        }

        public String getIp() {
            return ip;
        }

        public String getHostname() {
            return hostname;
        }
    }

    /** A lease ended (released, declined, expired, replaced) or a static lease was removed. */
    final class LeaseRemoved extends DBusSignal {
        private final String mac;
        private final String ip;

        public LeaseRemoved(String path, String mac, String ip) throws DBusException {
            super(path, mac, ip);
            this.mac = mac;
            this.ip = ip;
        }

        public String getMac() {
            return mac;
        }

        public String getIp() {
            return ip;
        }
    }
}
