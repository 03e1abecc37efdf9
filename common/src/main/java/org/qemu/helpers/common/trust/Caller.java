package org.qemu.helpers.common.trust;

/** A classified peer: its unique bus name, what the daemon says about it, and its level. */
public record Caller(String uniqueName, PeerCredentials credentials, TrustLevel level) {

    /** True when this caller holds at least {@code needed}. */
    public boolean has(TrustLevel needed) {
        return level.atLeast(needed);
    }
}
