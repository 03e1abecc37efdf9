package org.qemu.helpers.common.bus;

import java.util.List;

/**
 * Who a helper is on the bus (CONTRACT.md "Names, objects, Ids").
 *
 * @param name short name, e.g. {@code slirp-dhcp}
 * @param busName the well-known name it owns, e.g. {@code org.qemu.SlirpDhcp1}; one of several instances on a bus
 *                owns {@code org.qemu.SlirpDhcp1.INSTANCE} (helper-slirp-dhcp's README, "Several NICs")
 * @param description one line for people
 * @param vmStateId its org.qemu.VMState1 Id, or "" when it has no migratable state
 * @param interfaces the org.qemu.* interfaces it serves
 */
public record HelperIdentity(String name, String busName, String description, String vmStateId, List<String> interfaces) {
    public HelperIdentity {
        interfaces = List.copyOf(interfaces);
        if (!name.matches("[a-z][a-z0-9-]{0,62}")) {
            throw new IllegalArgumentException("helper name must be lower-case letters, digits and '-': " + name);
        }
        if (!busName.matches("org\\.qemu\\.[A-Z][A-Za-z0-9]*[0-9](\\.[A-Za-z_][A-Za-z0-9_]{0,62})?")) {
            throw new IllegalArgumentException("bus name must be org.qemu.NameN (versioned), or org.qemu.NameN.INSTANCE: "
                    + busName);
        }
    }

    /**
     * The identity of a helper whose bus name is its main interface's name (as every helper's is), and
     * whose Interfaces list is that interface and {@code more}: the names are written once, in the
     * interfaces' {@code @DBusInterfaceName}.
     */
    public static HelperIdentity of(String name, String description, String vmStateId, Class<?> main, Class<?>... more) {
        List<String> ifaces = new java.util.ArrayList<>(List.of(GatedObject.dbusName(main)));
        for (Class<?> c : more) {
            ifaces.add(GatedObject.dbusName(c));
        }
        return new HelperIdentity(name, ifaces.get(0), description, vmStateId, ifaces);
    }

    /**
     * The main object path, mirroring the bus name without its instance (org.qemu.Compress1 -> /org/qemu/Compress1;
     * org.qemu.SlirpDhcp1.NIC -> /org/qemu/SlirpDhcp1: every instance serves the same objects on its own name).
     */
    public String objectPath() {
        String[] e = busName.split("\\.");
        return "/" + e[0] + "/" + e[1] + "/" + e[2];
    }

    /** This identity for instance {@code instance} of several on one bus (org.qemu.SlirpDhcp1.NIC); null: itself. */
    public HelperIdentity instance(String instance) {
        return instance == null ? this : new HelperIdentity(name, busName + "." + instance, description, vmStateId,
                interfaces);
    }

    /** This identity with VMState Id {@code id}; null: itself. */
    public HelperIdentity vmState(String id) {
        return id == null ? this : new HelperIdentity(name, busName, description, id, interfaces);
    }
}
