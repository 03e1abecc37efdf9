package org.qemu.helpers.slirpdhcp.engine.nat;

import org.qemu.helpers.slirpdhcp.engine.Ip4;

/**
 * A flow as the guest sees it: its own address and port, and the remote address and port it talks to (the
 * gateway address for the host's loopback). Protocol 6 (TCP) or 17 (UDP).
 */
public record FlowKey(int proto, int guestIp, int guestPort, int remoteIp, int remotePort) {
    public String protoName() {
        return proto == 6 ? "tcp" : "udp";
    }

    // Written out because a record's generated equals/hashCode go through an ObjectMethods method-handle chain
    // that the launcher's C1-only JIT does not inline: profiled at about 1.5 % of the helper's CPU per
    // one-byte round trip (README, "NAT speed, fourth round"). Same contract as the generated ones.
    @Override
    public boolean equals(Object o) {
        return o instanceof FlowKey k && k.proto == proto && k.guestIp == guestIp && k.guestPort == guestPort
                && k.remoteIp == remoteIp && k.remotePort == remotePort;
    }

    @Override
    public int hashCode() {
        int h = proto;
        h = 31 * h + guestIp;
        h = 31 * h + guestPort;
        h = 31 * h + remoteIp;
        return 31 * h + remotePort;
    }

    @Override
    public String toString() {
        return protoName() + " " + Ip4.format(guestIp) + ":" + guestPort + " -> " + Ip4.format(remoteIp) + ":"
                + remotePort;
    }
}
