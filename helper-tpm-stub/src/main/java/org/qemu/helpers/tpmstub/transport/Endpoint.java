package org.qemu.helpers.tpmstub.transport;

import java.nio.file.Path;

/** A listening address: {@code tcp:HOST:PORT} or {@code unix:PATH} (the --server / --ctrl syntax). */
public sealed interface Endpoint {
    record Tcp(String host, int port) implements Endpoint {
        @Override
        public String toString() {
            return "tcp:" + host + ":" + port;
        }
    }

    record Unix(Path path) implements Endpoint {
        @Override
        public String toString() {
            return "unix:" + path;
        }
    }

    /** Parses an endpoint; the message of the exception says what is allowed. */
    static Endpoint parse(String s) {
        if (s.startsWith("unix:")) {
            String p = s.substring(5);
            if (p.isEmpty() || p.indexOf('\0') >= 0 || p.length() > 107) {
                throw new IllegalArgumentException("unix socket path must be 1-107 bytes: '" + s + "'");
            }
            return new Unix(Path.of(p));
        }
        if (s.startsWith("tcp:")) {
            String rest = s.substring(4);
            int colon = rest.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("expected tcp:HOST:PORT, got '" + s + "'");
            }
            String host = rest.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(rest.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad port in '" + s + "'");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range in '" + s + "'");
            }
            return new Tcp(host, port);
        }
        throw new IllegalArgumentException("expected tcp:HOST:PORT or unix:PATH, got '" + s + "'");
    }
}
