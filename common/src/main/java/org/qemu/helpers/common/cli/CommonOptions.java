package org.qemu.helpers.common.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.common.trust.TrustPolicy;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options every helper accepts (CONTRACT.md "Processes and command lines"). */
public final class CommonOptions {
    /** Environment variable that gives the bus address when --bus-address is absent. */
    public static final String BUS_ENV = "QEMU_HELPERS_BUS_ADDRESS";

    @Mixin
    BusOptions bus = new BusOptions();

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Where state that must survive is kept (default: $STATE_DIRECTORY, else /var/lib/qemu-dbus-helpers/NAME"
                    + " for root, else ~/.local/state/qemu-dbus-helpers/NAME).")
    Path stateDir;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            description = "debug, info, warn or error (default: ${DEFAULT-VALUE}).")
    String logLevel;

    /** The bus and policy options. */
    public BusOptions bus() {
        return bus;
    }

    public String busAddress() {
        return bus.busAddress();
    }

    /** True when a bus is named: --bus-address (or the environment) or --libvirt-domain. */
    public boolean namesABus() {
        return bus.namesABus();
    }

    /** The bus to use: the libvirt domain's (--libvirt-domain, found with virsh) or --bus-address. */
    public String resolveBusAddress() throws ConfigException {
        return bus.resolveBusAddress();
    }

    public HelperLog.Level logLevel() throws ConfigException {
        try {
            return HelperLog.Level.parse(logLevel);
        } catch (IllegalArgumentException e) {
            throw ConfigException.option("--log-level", e.getMessage());
        }
    }

    /** The policy from --policy, or the own-UID default with a warning that it isolates nothing. */
    public TrustPolicy loadPolicy(HelperLog log) throws ConfigException {
        if (bus.policyFile() == null) {
            log.warn("no-policy", "effect", "peers with this helper's uid are admin, all others untrusted; no isolation"
                    + " between peers of one uid");
        }
        return bus.policy();
    }

    /** The state directory for helper {@code name}, created with mode 0700 if missing. */
    public Path stateDir(String name) throws ConfigException {
        Path dir = stateDir;
        if (dir == null) {
            String systemd = System.getenv("STATE_DIRECTORY");
            if (systemd != null && !systemd.isEmpty()) {
                dir = Path.of(systemd.split(":")[0]);
            } else if (ownUid() == 0) {
                dir = Path.of("/var/lib/qemu-dbus-helpers", name);
            } else {
                dir = Path.of(System.getProperty("user.home"), ".local/state/qemu-dbus-helpers", name);
            }
        }
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            if (!Files.isWritable(dir)) {
                throw ConfigException.option("--state-dir", dir + " is not writable by this user");
            }
        } catch (IOException e) {
            throw ConfigException.option("--state-dir", "cannot create " + dir + ": " + e.getMessage());
        }
        return dir;
    }

    /** This process's UID (the owner of /proc/self). */
    public static long ownUid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalStateException("cannot read this process's uid from /proc/self", e);
        }
    }
}
