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
 * @param guest how the guest's frames get in and out (one front end per instance), or null for none
 * @param udpBind address for the plain DNS sockets (DHCP binds the wildcard address), or null for no plain sockets
 */
public record Settings(NetworkConfig net, Path stateDir, Guest guest, String udpBind, int dhcpPort,
                       int dnsPort, List<InetSocketAddress> upstreams, Duration upstreamTimeout) {
    public Settings {
        upstreams = List.copyOf(upstreams);
    }

    /** The guest front ends; each is one option of Main. */
    public sealed interface Guest {
        /** --netdev-socket PATH: QEMU's -netdev stream connects here. */
        record NetdevStream(Path path) implements Guest {
        }

        /** --netdev-dgram PATH: QEMU's -netdev dgram sends here. */
        record NetdevDgram(Path path) implements Guest {
        }

        /** --fd N: an inherited socket, framing by its SO_TYPE. */
        record InheritedFd(int fd) implements Guest {
        }

        /** --netns PATH|PID --tap NAME: a tap device in that network namespace, with this MTU. */
        record Tap(String netns, String name, int mtu) implements Guest {
        }
    }

    /** RFC 2131 4.1: clients listen on 68; a test server on another port answers on port+1. */
    public int dhcpClientPort() {
        return dhcpPort == 67 ? 68 : dhcpPort + 1;
    }
}
