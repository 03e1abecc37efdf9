package org.qemu.helpers.common.cli;

import org.qemu.helpers.common.libvirt.LibvirtDomainBus;
import picocli.CommandLine.Option;

/** {@code --libvirt-domain NAME [--libvirt-uri URI]}: a libvirt domain's bus instead of {@code --bus-address}. */
public final class LibvirtTarget {
    @Option(names = "--libvirt-domain", paramLabel = "NAME", description = "Use the per-VM bus libvirt runs for this"
            + " running domain (found with virsh) instead of --bus-address.")
    String domain;

    @Option(names = "--libvirt-uri", paramLabel = "URI", description = "With --libvirt-domain: libvirt's connection URI"
            + " (default: virsh's, qemu:///system for root).")
    String uri;

    /** True when a domain was named. */
    public boolean given() {
        return domain != null || uri != null;
    }

    /** The domain's bus address (runs virsh); call only when {@link #given}. */
    public String busAddress() throws ConfigException {
        if (uri != null && domain == null) {
            throw ConfigException.option("--libvirt-uri", "give --libvirt-domain NAME too");
        }
        try {
            return LibvirtDomainBus.address(domain, uri);
        } catch (LibvirtDomainBus.NotFoundException e) {
            throw ConfigException.option("--libvirt-domain", e.getMessage());
        }
    }
}
