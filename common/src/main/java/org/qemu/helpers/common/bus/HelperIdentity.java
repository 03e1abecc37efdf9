package org.qemu.helpers.common.bus;

import java.util.List;

/**
 * Who a helper is on the bus (CONTRACT.md "Names, objects, Ids").
 *
 * @param name short name, e.g. {@code slirp-dhcp}
 * @param busName the well-known name it owns, e.g. {@code org.qemu.SlirpDhcp1}
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
        if (!busName.matches("org\\.qemu\\.[A-Z][A-Za-z0-9]*[0-9]")) {
            throw new IllegalArgumentException("bus name must be org.qemu.NameN (versioned): " + busName);
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

    /** The main object path, mirroring the bus name (org.qemu.Compress1 -> /org/qemu/Compress1). */
    public String objectPath() {
        return "/" + busName.replace('.', '/');
    }
}
