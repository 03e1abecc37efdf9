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

    @Override
    public String toString() {
        return protoName() + " " + Ip4.format(guestIp) + ":" + guestPort + " -> " + Ip4.format(remoteIp) + ":"
                + remotePort;
    }
}
