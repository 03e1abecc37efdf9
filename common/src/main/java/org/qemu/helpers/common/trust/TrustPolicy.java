package org.qemu.helpers.common.trust;

import java.util.List;

/**
 * Maps a peer's credentials to a trust level: the first rule that matches wins, else the
 * default level. Loaded by {@link PolicyFile}; {@link #ownUidOnly} is the policy used when
 * no file is given (CONTRACT.md: own UID is admin, everyone else untrusted).
 */
public record TrustPolicy(List<PolicyRule> rules, TrustLevel defaultLevel, boolean isolating) {

    public TrustPolicy {
        rules = List.copyOf(rules);
    }

    /** The level {@code peer} holds under this policy. */
    public TrustLevel classify(PeerCredentials peer) {
        for (PolicyRule rule : rules) {
            if (rule.selector().matches(peer)) {
                return rule.level();
            }
        }
        return defaultLevel;
    }

    /** No policy file: peers with our own UID are admin (no isolation), others untrusted. */
    public static TrustPolicy ownUidOnly(long ownUid) {
        return new TrustPolicy(List.of(new PolicyRule(new PolicyRule.Uid(ownUid), TrustLevel.ADMIN)),
                TrustLevel.UNTRUSTED, false);
    }
}
