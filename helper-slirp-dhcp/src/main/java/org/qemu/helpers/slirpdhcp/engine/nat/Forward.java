package org.qemu.helpers.slirpdhcp.engine.nat;

import java.util.Locale;
import org.qemu.helpers.slirpdhcp.engine.Ip4;

/**
 * A host-to-guest forward, libslirp's hostfwd: connections (TCP) or datagrams (UDP) to {@code hostAddr:hostPort}
 * on the host reach {@code guestAddr:guestPort} in the guest. {@code guestAddr} 0 means the guest's current lease.
 */
public record Forward(String proto, int hostAddr, int hostPort, int guestAddr, int guestPort) {
    public Forward {
        proto = proto.toLowerCase(Locale.ROOT);
        if (!proto.equals("tcp") && !proto.equals("udp")) {
            throw new IllegalArgumentException("protocol '" + proto + "': want tcp or udp");
        }
        if (hostPort < 0 || hostPort > 65535) {
            throw new IllegalArgumentException("host port " + hostPort + ": want 0..65535 (0: any free port)");
        }
        if (guestPort < 1 || guestPort > 65535) {
            throw new IllegalArgumentException("guest port " + guestPort + ": want 1..65535");
        }
    }

    /** Parses {@code tcp|udp:[HOSTADDR:]HOSTPORT:[GUESTADDR:]GUESTPORT}; the host address defaults to 127.0.0.1. */
    public static Forward parse(String spec) {
        String[] p = spec.split(":", -1);
        if (p.length < 3 || p.length > 5) {
            throw new IllegalArgumentException("'" + spec + "': want tcp|udp:[HOSTADDR:]HOSTPORT:[GUESTADDR:]GUESTPORT");
        }
        String proto = p[0];
        int i = 1;
        int hostAddr = Ip4.parse("127.0.0.1");
        if (p.length == 5 || (p.length == 4 && p[1].contains("."))) {
            hostAddr = p[1].isEmpty() ? 0 : Ip4.parse(p[1]);
            i = 2;
        } else if (p.length == 4 && p[1].isEmpty()) {
            i = 2; // libslirp's "tcp::8080:..." form: any host address left empty means 127.0.0.1 here
        }
        int hostPort = port(p[i++], spec);
        int guestAddr = 0;
        if (p.length - i == 2) {
            guestAddr = p[i].isEmpty() ? 0 : Ip4.parse(p[i]);
            i++;
        }
        int guestPort = port(p[i], spec);
        return new Forward(proto, hostAddr, hostPort, guestAddr, guestPort);
    }

    private static int port(String s, String spec) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + spec + "': port '" + s + "' is not a number");
        }
    }

    /** The same forward (protocol, host address and port), whatever its guest side. */
    public boolean sameHostSide(Forward o) {
        return proto.equals(o.proto) && hostAddr == o.hostAddr && hostPort == o.hostPort;
    }

    @Override
    public String toString() {
        return proto + ":" + Ip4.format(hostAddr) + ":" + hostPort + ":" + (guestAddr == 0 ? "" : Ip4.format(guestAddr))
                + ":" + guestPort;
    }
}
