package org.qemu.helpers.slirpdhcp.engine;

/** A durable change of the helper's state: journalled before the reply that depends on it is sent. */
public sealed interface StateChange {
    /** A lease was granted or renewed ({@code fresh}: the client had no binding for this address before). */
    record LeaseBound(Lease lease, boolean fresh) implements StateChange {
    }

    /** A lease ended: released, declined, expired, or replaced. */
    record LeaseEnded(Lease lease, String reason) implements StateChange {
    }

    record StaticAdded(StaticLease lease) implements StateChange {
    }

    record StaticRemoved(StaticLease lease) implements StateChange {
    }

    record HostAdded(HostRecord record) implements StateChange {
    }

    record HostRemoved(HostRecord record) implements StateChange {
    }
}
