package org.qemu.helpers.common.trust;

import java.util.List;
import java.util.Optional;

/**
 * What the bus daemon vouches for about a connection (GetConnectionCredentials, D-Bus
 * specification "Message Bus Messages"). Fields the daemon did not report are empty.
 */
public record PeerCredentials(long uid, List<Long> gids, long pid, Optional<String> securityLabel) {

    public PeerCredentials {
        gids = List.copyOf(gids);
    }

    /** A short form for log lines. */
    public String describe() {
        return "uid=" + uid + " pid=" + pid;
    }
}
