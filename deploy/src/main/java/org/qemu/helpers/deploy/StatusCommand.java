package org.qemu.helpers.deploy;

import java.util.List;
import java.util.concurrent.Callable;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.qemu.helpers.common.cli.CommonOptions;
import org.qemu.helpers.common.exit.ExitCodes;
import org.qemu.helpers.common.discovery.HelperDirectory;
import org.qemu.helpers.common.discovery.HelperInfo;
import org.qemu.helpers.common.trust.NameResolver;
import org.qemu.helpers.common.trust.PeerTrust;
import org.qemu.helpers.common.trust.PolicyException;
import org.qemu.helpers.common.trust.PolicyFile;
import org.qemu.helpers.common.trust.TrustPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code status}: the helpers on a bus with owner pid/uid, trust level, Status and VMState Id. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "List the helpers on a VM's bus.")
final class StatusCommand implements Callable<Integer> {
    @Option(names = "--bus-address", paramLabel = "ADDRESS", defaultValue = "${env:" + CommonOptions.BUS_ENV + "}",
            description = "The VM's bus (default: $" + CommonOptions.BUS_ENV + ").")
    String busAddress;

    @Option(names = "--policy", paramLabel = "FILE", description = "Trust policy that classifies the owners "
            + "(default: own UID admin, others untrusted).")
    java.nio.file.Path policy;

    @Override
    public Integer call() throws Exception {
        if (busAddress == null || busAddress.isBlank()) {
            System.err.println("qemu-helpers status: no bus address: give --bus-address or set " + CommonOptions.BUS_ENV);
            return ExitCodes.CONFIG;
        }
        TrustPolicy p;
        try {
            p = policy == null ? TrustPolicy.ownUidOnly(CommonOptions.ownUid()) : PolicyFile.load(policy, NameResolver.system());
        } catch (PolicyException e) {
            System.err.println("qemu-helpers status: " + e.getMessage());
            return ExitCodes.CONFIG;
        }
        try (DBusConnection c = DBusConnectionBuilder.forAddress(busAddress).withShared(false).build()) {
            System.out.print(HelperTable.format(list(c, p)));
            return ExitCodes.OK;
        } catch (DBusException e) {
            System.err.println("qemu-helpers status: cannot connect to bus " + busAddress + ": " + e.getMessage());
            return ExitCodes.STARTUP;
        }
    }

    static List<HelperInfo> list(DBusConnection c, TrustPolicy p) throws Exception {
        try (PeerTrust trust = new PeerTrust(c, p); HelperDirectory d = HelperDirectory.open(c, trust)) {
            return d.list();
        }
    }
}
