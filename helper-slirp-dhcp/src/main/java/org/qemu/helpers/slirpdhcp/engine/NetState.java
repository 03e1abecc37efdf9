package org.qemu.helpers.slirpdhcp.engine;

import java.util.List;

/** A full snapshot of the durable state: what a restart or a migration must carry. */
public record NetState(List<Lease> leases, List<StaticLease> statics, List<HostRecord> hosts) {
    public NetState {
        leases = List.copyOf(leases);
        statics = List.copyOf(statics);
        hosts = List.copyOf(hosts);
    }

    public static NetState empty() {
        return new NetState(List.of(), List.of(), List.of());
    }
}
