package org.qemu.helpers.deploy.bench;

/**
 * How the load bench's untrusted peer floods (load.sh's 4th argument). {@code wait}: the original flood, four
 * connections calling slirp-dhcp one call at a time. {@code pipe:N[:C]}: C connections (default 4) against each of
 * the four helpers, each keeping N denied calls outstanding (default 128, dbus-daemon's hard-coded
 * max_replies_per_connection, which the bus configs under deploy/ do not change). {@code noreply:N[:C]}: the same
 * connections send N calls flagged NO_REPLY_EXPECTED (which dbus-daemon does not count as pending replies), then one
 * call whose reply they await, so at most N + 1 are in flight per connection.
 */
record FloodMode(Kind kind, int depth, int connectionsPerHelper) {
    enum Kind { WAIT, PIPE, NOREPLY }

    FloodMode {
        if (depth < 1 || depth > 100_000 || connectionsPerHelper < 1 || connectionsPerHelper > 60) {
            throw new IllegalArgumentException("flood depth 1..100000, connections per helper 1..60 (4 helpers,"
                    + " dbus-daemon's max_connections_per_user is 256): " + depth + ":" + connectionsPerHelper);
        }
    }

    /** {@code wait}, {@code pipe[:N[:C]]} or {@code noreply[:N[:C]]}. */
    static FloodMode parse(String spec) {
        String[] p = spec.split(":");
        Kind kind = switch (p[0]) {
            case "wait" -> Kind.WAIT;
            case "pipe" -> Kind.PIPE;
            case "noreply" -> Kind.NOREPLY;
            default -> throw new IllegalArgumentException("flood mode: wait, pipe[:N[:C]] or noreply[:N[:C]], not "
                    + spec);
        };
        int depth = p.length > 1 ? Integer.parseInt(p[1]) : 128;
        int conns = p.length > 2 ? Integer.parseInt(p[2]) : 4;
        return new FloodMode(kind, kind == Kind.WAIT ? 1 : depth, conns);
    }

    String spec() {
        return kind == Kind.WAIT ? "wait" : kind.name().toLowerCase(java.util.Locale.ROOT) + ":" + depth + ":"
                + connectionsPerHelper;
    }

    String describe() {
        return switch (kind) {
            case WAIT -> "wait (4 connections, AddStaticLease to slirp-dhcp, one call at a time each; queues sampled)";
            case PIPE -> connectionsPerHelper + " connections against each of the 4 helpers, " + depth
                    + " denied calls outstanding on each (pipelined)";
            case NOREPLY -> connectionsPerHelper + " connections against each of the 4 helpers, " + depth
                    + " NO_REPLY_EXPECTED denied calls, then one awaited, over and over";
        };
    }
}
