package org.qemu.helpers.slirpdhcp.engine;

import java.io.IOException;
import java.util.List;

/** Where durable changes go before a reply is sent: the lease journal, then listeners (D-Bus signals). */
public interface StateSink {
    /** Makes the changes durable; returns only when they would survive a crash. */
    void commit(List<StateChange> changes) throws IOException;

    StateSink NONE = changes -> { };
}
