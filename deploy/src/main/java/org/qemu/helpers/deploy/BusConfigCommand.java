package org.qemu.helpers.deploy;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.qemu.helpers.common.trust.NameResolver;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bus-config}: prints the dbus-daemon configuration of a VM's bus for a user split. */
@Command(name = "bus-config", mixinStandardHelpOptions = true,
        description = "Print a dbus-daemon configuration for one VM's private bus.")
final class BusConfigCommand implements Callable<Integer> {
    @Option(names = "--socket", required = true, paramLabel = "PATH", description = "Where the bus listens.")
    Path socket;

    @Option(names = "--mode", defaultValue = "one-uid", description = "one-uid, two-uids or uid-per-helper.")
    String mode;

    @Option(names = "--qemu-user", description = "QEMU's user (name or uid), for the split modes.")
    String qemuUser;

    @Option(names = "--helper-user", description = "The helpers' user (two-uids), or NAME=USER per helper "
            + "(uid-per-helper, repeatable, e.g. slirp-dhcp=qemu-slirp).")
    java.util.List<String> helperUsers = new java.util.ArrayList<>();

    @Option(names = "--admin-user", defaultValue = "root", description = "The operator's user (default: root).")
    String adminUser;

    @Override
    public Integer call() {
        try {
            System.out.print(switch (mode) {
                case "one-uid" -> BusConfig.oneUid(socket);
                case "two-uids" -> BusConfig.twoUids(socket, uid("--qemu-user", qemuUser), uid("--helper-user",
                        single()), uid("--admin-user", adminUser));
                case "uid-per-helper" -> BusConfig.uidPerHelper(socket, uid("--qemu-user", qemuUser), perHelper(),
                        uid("--admin-user", adminUser));
                default -> throw new IllegalArgumentException("option --mode: '" + mode
                        + "' is not one of one-uid, two-uids, uid-per-helper");
            });
            return 0;
        } catch (IllegalArgumentException e) {
            System.err.println("qemu-helpers bus-config: " + e.getMessage());
            return 2;
        }
    }

    private String single() {
        if (helperUsers.size() != 1 || helperUsers.get(0).contains("=")) {
            throw new IllegalArgumentException("option --helper-user: two-uids takes exactly one user for all helpers");
        }
        return helperUsers.get(0);
    }

    private Map<HelperKind, Long> perHelper() {
        Map<HelperKind, Long> m = new EnumMap<>(HelperKind.class);
        for (String s : helperUsers) {
            String[] kv = s.split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("option --helper-user: '" + s + "' must be NAME=USER, e.g. tpm-stub=tss");
            }
            m.put(HelperKind.byName(kv[0]), uid("--helper-user " + kv[0], kv[1]));
        }
        if (m.size() != HelperKind.values().length) {
            throw new IllegalArgumentException("option --helper-user: uid-per-helper needs a user for each of "
                    + HelperKind.names());
        }
        return m;
    }

    private static long uid(String option, String user) {
        if (user == null) {
            throw new IllegalArgumentException("option " + option + " is required for this mode");
        }
        if (user.matches("\\d+")) {
            return Long.parseLong(user);
        }
        return NameResolver.system().uidOf(user).orElseThrow(() ->
                new IllegalArgumentException("option " + option + ": no such user '" + user + "'"));
    }
}
