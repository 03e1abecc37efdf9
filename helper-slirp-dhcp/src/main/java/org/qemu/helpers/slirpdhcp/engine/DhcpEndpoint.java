package org.qemu.helpers.slirpdhcp.engine;

import java.util.Optional;

/** Serves one client message: the reply to send, once the changes it depends on are durable. */
public interface DhcpEndpoint {
    Optional<DhcpReply> serve(DhcpMessage m) throws MalformedException;

    /** An endpoint without persistence, for tests and for a helper run without a state directory. */
    static DhcpEndpoint volatileEndpoint(DhcpServer server, java.util.function.LongSupplier nowSeconds) {
        return m -> server.handle(m, nowSeconds.getAsLong()).reply();
    }
}
