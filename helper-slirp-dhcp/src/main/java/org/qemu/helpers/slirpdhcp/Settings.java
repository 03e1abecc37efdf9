package org.qemu.helpers.slirpdhcp;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;

/**
 * What one helper instance serves and where.
 *
 * @param stateDir lease store directory, or null for no persistence
 * @param netdevSocket Unix socket path for QEMU's -netdev stream, or null
 * @param udpBind address for the plain DNS sockets (DHCP binds the wildcard address), or null for no plain sockets
 */
public record Settings(NetworkConfig net, Path stateDir, Path netdevSocket, String udpBind, int dhcpPort,
                       int dnsPort, List<InetSocketAddress> upstreams, Duration upstreamTimeout) {
    public Settings {
        upstreams = List.copyOf(upstreams);
    }

    /** RFC 2131 4.1: clients listen on 68; a test server on another port answers on port+1. */
    public int dhcpClientPort() {
        return dhcpPort == 67 ? 68 : dhcpPort + 1;
    }
}
