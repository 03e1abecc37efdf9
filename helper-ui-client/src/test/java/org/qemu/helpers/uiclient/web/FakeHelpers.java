package org.qemu.helpers.uiclient.web;

import java.util.List;
import java.util.Map;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.UInt64;
import org.freedesktop.dbus.types.Variant;
import org.qemu.helpers.common.testing.PrivateBus;

/**
 * Test doubles for helper-slirp-dhcp, helper-compress and helper-tpm-stub: those helpers are
 * other modules of this suite, which this module's build may not depend on, so these stand in
 * for them on the bus with the CONTRACT.md members the panel reads (Helper1 properties,
 * ListLeases, the Compress1 Job objects, Banks and PcrRead). Values are fixed and some hostile.
 */
final class FakeHelpers {
    static final String HOSTILE_HOSTNAME = "<b onmouseover=alert(1)>guest</b>";

    private FakeHelpers() {
    }

    /** Properties answered from a fixed map (dbus-java's own property support is not used). */
    static class FixedProperties implements Properties {
        private final String path;
        private final Map<String, Map<String, Variant<?>>> byInterface;

        FixedProperties(String path, Map<String, Map<String, Variant<?>>> byInterface) {
            this.path = path;
            this.byInterface = byInterface;
        }

        @SuppressWarnings("unchecked")
        @Override
        public <A> A Get(String iface, String name) {
            return (A) GetAll(iface).get(name);
        }

        @Override
        public <A> void Set(String iface, String name, A value) {
        }

        @Override
        public Map<String, Variant<?>> GetAll(String iface) {
            return byInterface.getOrDefault(iface, Map.of());
        }

        @Override
        public String getObjectPath() {
            return path;
        }
    }

    static final class Dhcp extends FixedProperties implements HelperPanel.SlirpDhcp1 {
        Dhcp() {
            super("/org/qemu/SlirpDhcp1", Map.of());
        }

        @Override
        public List<HelperPanel.Lease> ListLeases() {
            List<HelperPanel.Lease> out = new java.util.ArrayList<>(List.of(
                    new HelperPanel.Lease("52:54:00:12:34:56", "10.0.2.15", HOSTILE_HOSTNAME, 4102444800L),
                    new HelperPanel.Lease("52:54:00:00:00:01", "10.0.2.20", "printer", 0),
                    new HelperPanel.Lease("52:54:00:00:00:02", "10.0.2.21", "x".repeat(5000), 0)));
            for (int i = 0; i < 100; i++) { // more than the panel shows
                out.add(new HelperPanel.Lease(String.format("52:54:00:00:01:%02x", i), "10.0.3." + i, "h" + i, 0));
            }
            return out;
        }

        @Override
        public List<HelperPanel.Flow> ListFlows() {
            return List.of(new HelperPanel.Flow("tcp", "established", "10.0.2.15:40000", "10.0.2.2:8080",
                    "127.0.0.1:51234", new org.freedesktop.dbus.types.UInt64(0)));
        }
    }

    static final class Tpm extends FixedProperties implements HelperPanel.TpmStub1 {
        Tpm() {
            // as a real tpm-stub made with --banks sha384: it implements four banks, one is allocated
            super("/org/qemu/TpmStub1", Map.of("org.qemu.TpmStub1",
                    Map.of("Banks", new Variant<>(List.of("sha1", "sha256", "sha384", "sha512"), "as"),
                            "ActiveBanks", new Variant<>(List.of("sha384"), "as"))));
        }

        @Override
        public byte[] PcrRead(String bank, UInt32 index) {
            if (!"sha384".equals(bank)) {
                throw new org.freedesktop.dbus.exceptions.DBusExecutionException("bank " + bank + " is not active");
            }
            byte[] d = new byte[48];
            d[d.length - 1] = (byte) index.intValue();
            return d;
        }
    }

    /** A job object: Properties of org.qemu.Compress1.Job only. */
    interface Job extends DBusInterface {
    }

    static Map<String, Map<String, Variant<?>>> helper1(String name, String iface) {
        return Map.of("org.qemu.Helper1", Map.of("Name", new Variant<>(name), "Version", new Variant<>("fake"),
                "Description", new Variant<>("test double for " + name), "Interfaces",
                new Variant<>(List.of(iface), "as"), "VMStateId", new Variant<>(""), "Status", new Variant<>("ready")));
    }

    /** Put the three doubles on the bus, each on its own connection with its own name. */
    static void start(PrivateBus bus) throws Exception {
        DBusConnection dhcp = bus.connect();
        dhcp.exportObject("/org/qemu/Helper1", new FixedProperties("/org/qemu/Helper1",
                helper1("slirp-dhcp", "org.qemu.SlirpDhcp1")));
        dhcp.exportObject("/org/qemu/SlirpDhcp1", new Dhcp());
        dhcp.requestBusName("org.qemu.SlirpDhcp1");

        DBusConnection tpm = bus.connect();
        tpm.exportObject("/org/qemu/Helper1", new FixedProperties("/org/qemu/Helper1",
                helper1("tpm-stub", "org.qemu.TpmStub1")));
        tpm.exportObject("/org/qemu/TpmStub1", new Tpm());
        tpm.requestBusName("org.qemu.TpmStub1");

        DBusConnection compress = bus.connect();
        compress.exportObject("/org/qemu/Helper1", new FixedProperties("/org/qemu/Helper1",
                helper1("compress", "org.qemu.Compress1")));
        compress.exportObject("/org/qemu/Compress1/Job/1", new FixedProperties("/org/qemu/Compress1/Job/1",
                Map.of("org.qemu.Compress1.Job", Map.of("State", new Variant<>("running"), "BytesIn",
                        new Variant<>(new UInt64(50)), "BytesOut", new Variant<>(new UInt64(20)), "TotalBytes",
                        new Variant<>(new UInt64(100)), "Error", new Variant<>("")))));
        compress.requestBusName("org.qemu.Compress1");
    }
}
