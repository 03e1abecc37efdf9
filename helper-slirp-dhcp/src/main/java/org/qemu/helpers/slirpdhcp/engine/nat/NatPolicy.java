package org.qemu.helpers.slirpdhcp.engine.nat;

/**
 * What the NAT lets the guest reach.
 *
 * @param mapGateway the gateway address stands for the host's loopback (libslirp's default; libslirp-helper's
 *     {@code --disable-host-loopback} and our {@code --no-map-gw} turn it off)
 * @param hostLoopback the address the gateway maps to (127.0.0.1)
 * @param restrict the guest reaches only the helper's own services and the forwards (libslirp's restrict=on)
 * @param maxFlows the flow table's bound, TCP and UDP together
 * @param gatewayTcpPorts with {@code restrict}: the TCP ports of the gateway (the host's loopback) the guest still
 *     reaches, as libslirp's guestfwd rules still work under restrict=on; empty: none
 */
public record NatPolicy(boolean mapGateway, int hostLoopback, boolean restrict, int maxFlows,
                        java.util.Set<Integer> gatewayTcpPorts) {
    public static final int DEFAULT_MAX_FLOWS = 4096;

    public NatPolicy {
        if (maxFlows < 1 || maxFlows > 65536) {
            throw new IllegalArgumentException("max flows " + maxFlows + ": want 1..65536");
        }
        for (int port : gatewayTcpPorts) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("gateway port " + port + ": want 1..65535");
            }
        }
        gatewayTcpPorts = java.util.Set.copyOf(gatewayTcpPorts);
    }

    public NatPolicy(boolean mapGateway, int hostLoopback, boolean restrict, int maxFlows) {
        this(mapGateway, hostLoopback, restrict, maxFlows, java.util.Set.of());
    }

    public static NatPolicy defaults() {
        return new NatPolicy(true, 0x7f000001, false, DEFAULT_MAX_FLOWS);
    }
}
