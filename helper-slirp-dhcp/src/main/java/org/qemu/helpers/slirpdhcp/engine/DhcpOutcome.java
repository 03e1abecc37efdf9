package org.qemu.helpers.slirpdhcp.engine;

import java.util.List;
import java.util.Optional;

/** What handling one client message produced: a reply (maybe none) and durable changes to journal first. */
public record DhcpOutcome(Optional<DhcpReply> reply, List<StateChange> changes) {
    public DhcpOutcome {
        changes = List.copyOf(changes);
    }

    public static DhcpOutcome none(List<StateChange> changes) {
        return new DhcpOutcome(Optional.empty(), changes);
    }
}
