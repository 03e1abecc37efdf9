package org.qemu.helpers.deploy;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * dbus-daemon configurations for one VM's private bus, after QEMU's docs/interop/dbus.rst
 * ("Security"): the bus is a second line of defence behind each helper's own trust checks.
 * <ul>
 * <li>{@link Mode#ONE_UID}: developer mode, QEMU and every helper run as one user.</li>
 * <li>{@link Mode#TWO_UIDS}: QEMU as one user, all helpers as another.</li>
 * <li>{@link Mode#UID_PER_HELPER}: QEMU and each helper as its own user.</li>
 * </ul>
 * In the split modes only a helper's user may own its org.qemu.* name (and queue for
 * org.qemu.VMState1 when it migrates), only QEMU's user may own {@code org.qemu}; every
 * member may call the others and receives replies and signals; the admin user may call all.
 * Users are given as numeric UIDs (dbus-daemon accepts them where it accepts names). A helper that runs one
 * instance per NIC ({@link HelperKind#hasInstances}) owns {@code BUS_NAME} or {@code BUS_NAME.INSTANCE}: its rules
 * are dbus-daemon's {@code own_prefix} and {@code send_destination_prefix} (dbus-daemon(1): a prefix "a.b" matches
 * "a.b" and "a.b.c", not "a.bc"), so every instance is covered and no other name.
 */
public final class BusConfig {
    /** How users are split. */
    public enum Mode { ONE_UID, TWO_UIDS, UID_PER_HELPER }

    private BusConfig() {
    }

    /** Developer mode: the daemon's own user only (dbus-daemon's default for its own UID). */
    public static String oneUid(Path socket) {
        return header(socket) + """
                  <policy context="default">
                    <allow send_destination="*" eavesdrop="true"/>
                    <allow eavesdrop="true"/>
                    <allow own="*"/>
                  </policy>
                </busconfig>
                """;
    }

    /** QEMU's user and one user for all helpers (plus the admin user for the operator's tools). */
    public static String twoUids(Path socket, long qemuUid, long helpersUid, long adminUid) {
        Map<HelperKind, Long> owners = new LinkedHashMap<>();
        for (HelperKind k : HelperKind.values()) {
            owners.put(k, helpersUid);
        }
        return split(socket, qemuUid, owners, adminUid);
    }

    /** QEMU's user and one user per helper. */
    public static String uidPerHelper(Path socket, long qemuUid, Map<HelperKind, Long> helperUids, long adminUid) {
        return split(socket, qemuUid, helperUids, adminUid);
    }

    private static String split(Path socket, long qemuUid, Map<HelperKind, Long> owners, long adminUid) {
        StringBuilder sb = new StringBuilder(header(socket));
        java.util.Set<Long> users = new java.util.TreeSet<>(owners.values());
        users.add(qemuUid);
        users.add(adminUid);
        sb.append("""
                  <!-- Deny by default, as the system bus does; then open what the VM's members need. -->
                  <policy context="default">
                """);
        for (long u : users) {
            sb.append("    <allow user=\"").append(u).append("\"/>\n");
        }
        sb.append("""
                    <deny own="*"/>
                    <deny send_type="method_call"/>
                    <allow send_type="signal"/>
                    <allow send_requested_reply="true" send_type="method_return"/>
                    <allow send_requested_reply="true" send_type="error"/>
                    <allow receive_type="method_call"/>
                    <allow receive_type="method_return"/>
                    <allow receive_type="error"/>
                    <allow receive_type="signal"/>
                    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
                    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
                    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
                    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Peer"/>
                  </policy>
                """);
        Map<Long, java.util.List<HelperKind>> byUser = owners.entrySet().stream().collect(Collectors.groupingBy(
                Map.Entry::getValue, LinkedHashMap::new, Collectors.mapping(Map.Entry::getKey, Collectors.toList())));
        sb.append("  <!-- QEMU: owns org.qemu (its -display dbus), calls the helpers. -->\n");
        sb.append("  <policy user=\"").append(qemuUid).append("\">\n");
        sb.append("    <allow own=\"org.qemu\"/>\n");
        appendCalls(sb, owners);
        sb.append("  </policy>\n");
        for (Map.Entry<Long, java.util.List<HelperKind>> e : byUser.entrySet()) {
            sb.append("  <!-- helpers: ").append(e.getValue().stream().map(HelperKind::shortName)
                    .collect(Collectors.joining(", "))).append(" -->\n");
            sb.append("  <policy user=\"").append(e.getKey()).append("\">\n");
            for (HelperKind k : e.getValue()) {
                sb.append("    <allow ").append(k.hasInstances() ? "own_prefix" : "own").append("=\"").append(k.busName())
                        .append("\"/>\n");
            }
            if (e.getValue().stream().anyMatch(HelperKind::migrates)) {
                sb.append("    <allow own=\"org.qemu.VMState1\"/>\n");
            }
            sb.append("    <allow send_destination=\"org.qemu\"/>\n");
            appendCalls(sb, owners);
            sb.append("  </policy>\n");
        }
        sb.append("  <!-- the operator's tools (status, busctl) -->\n");
        sb.append("  <policy user=\"").append(adminUid).append("\">\n");
        sb.append("    <allow send_destination=\"*\"/>\n");
        sb.append("  </policy>\n");
        sb.append("</busconfig>\n");
        return sb.toString();
    }

    private static void appendCalls(StringBuilder sb, Map<HelperKind, Long> owners) {
        for (HelperKind k : owners.keySet()) {
            sb.append("    <allow ").append(k.hasInstances() ? "send_destination_prefix" : "send_destination")
                    .append("=\"").append(k.busName()).append("\"/>\n");
        }
        sb.append("    <allow send_destination=\"org.qemu.VMState1\"/>\n");
    }

    /**
     * Connections one UID may hold. Legitimate use of one VM's bus: QEMU (a few), four helpers (one each, slirp-dhcp
     * one per NIC), libvirt, the operator's tools, and in developer mode all of these under one UID; the load bench
     * adds 64 clients of one UID (root) beside them. 128 leaves room for that; dbus-daemon's default is 256.
     */
    static final int MAX_CONNECTIONS_PER_USER = 128;
    /**
     * Calls one connection may have waiting for a reply. Clients here wait for each reply (busctl, gdbus, the
     * bench's clients: one at a time; dbus-java's pool: 4 threads; a helper asks the daemon for credentials from its
     * 4 method threads); 32 is ample. A pipelining peer is held to 32 per connection by the daemon itself, and a
     * helper that leaves its calls unanswered past its denial budget keeps them counted here, so that peer's further
     * calls are refused (LimitsExceeded) without reaching the helper: one UID can have at most 128 x 32 = 4,096
     * calls outstanding instead of the default 256 x 128 = 32,768.
     */
    static final int MAX_REPLIES_PER_CONNECTION = 32;

    /** The {@code <limit>} elements of a VM's bus (dbus-daemon(1) "limit"; the rest keep the daemon's defaults). */
    public static String limits() {
        return """
                  <limit name="max_connections_per_user">%d</limit>
                  <limit name="max_replies_per_connection">%d</limit>
                """.formatted(MAX_CONNECTIONS_PER_USER, MAX_REPLIES_PER_CONNECTION);
    }

    private static String header(Path socket) {
        return """
                <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
                 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
                <!-- Private bus of one QEMU VM (qemu-dbus-helpers). -->
                <busconfig>
                  <type>qemu-vm</type>
                  <listen>unix:path=%s</listen>
                  <auth>EXTERNAL</auth>
                """.formatted(socket) + limits();
    }
}
