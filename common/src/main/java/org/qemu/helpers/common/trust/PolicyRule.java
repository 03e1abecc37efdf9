package org.qemu.helpers.common.trust;

import java.util.Optional;

/**
 * One line of a trust policy: a selector (exactly one of uid, user, gid, group, label,
 * resolved to numbers at load time) and the level it grants.
 */
public record PolicyRule(Selector selector, TrustLevel level) {

    /** What a rule matches on. */
    public sealed interface Selector {
        boolean matches(PeerCredentials peer);
    }

    /** The peer's UnixUserID equals {@code uid}. */
    public record Uid(long uid) implements Selector {
        public boolean matches(PeerCredentials peer) {
            return peer.uid() == uid;
        }
    }

    /** {@code gid} is among the peer's UnixGroupIDs (primary and supplementary). */
    public record Gid(long gid) implements Selector {
        public boolean matches(PeerCredentials peer) {
            return peer.gids().contains(gid);
        }
    }

    /** The peer's LinuxSecurityLabel equals {@code label}. */
    public record Label(String label) implements Selector {
        public boolean matches(PeerCredentials peer) {
            return peer.securityLabel().equals(Optional.of(label));
        }
    }
}
