package org.qemu.helpers.common.cli;

import java.nio.file.Path;
import org.qemu.helpers.common.trust.NameResolver;
import org.qemu.helpers.common.trust.PolicyException;
import org.qemu.helpers.common.trust.PolicyFile;
import org.qemu.helpers.common.trust.TrustPolicy;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Which VM bus and which trust policy (CONTRACT.md "Processes and command lines"): {@code --bus-address} (or
 * {@value CommonOptions#BUS_ENV}), {@code --libvirt-domain}/{@code --libvirt-uri}, {@code --policy}. The same
 * options for helpers ({@link CommonOptions}) and client commands ({@code client.BusClientCommand}).
 */
public final class BusOptions {
    @Option(names = "--bus-address", paramLabel = "ADDRESS", defaultValue = "${env:" + CommonOptions.BUS_ENV + "}",
            description = "D-Bus address of the VM's private bus (default: $" + CommonOptions.BUS_ENV + ").")
    String busAddress;

    @Mixin
    LibvirtTarget libvirt = new LibvirtTarget();

    @Option(names = "--policy", paramLabel = "FILE", description = "Trust policy (JSON). Without it, peers with this"
            + " process's UID are admin and all others untrusted.")
    Path policy;

    public String busAddress() {
        return busAddress;
    }

    /** True when a bus is named: --bus-address (or the environment) or --libvirt-domain. */
    public boolean namesABus() {
        return libvirt.given() || (busAddress != null && !busAddress.isBlank());
    }

    /** The bus to use: the libvirt domain's (--libvirt-domain, found with virsh) or --bus-address. */
    public String resolveBusAddress() throws ConfigException {
        return libvirt.given() ? libvirt.busAddress() : busAddress;
    }

    /** As {@link #resolveBusAddress}; naming no bus is a configuration error that says the three ways to name one. */
    public String requireBusAddress() throws ConfigException {
        if (!namesABus()) {
            throw ConfigException.option("--bus-address", "no bus address: give --bus-address, --libvirt-domain NAME"
                    + " or set $" + CommonOptions.BUS_ENV);
        }
        return resolveBusAddress();
    }

    /** The --policy file, or null. */
    public Path policyFile() {
        return policy;
    }

    /** The policy from --policy, or the own-UID default (this UID admin, every other untrusted). */
    public TrustPolicy policy() throws ConfigException {
        if (policy == null) {
            return TrustPolicy.ownUidOnly(CommonOptions.ownUid());
        }
        try {
            return PolicyFile.load(policy, NameResolver.system());
        } catch (PolicyException e) {
            throw new ConfigException(e.getMessage());
        }
    }
}
