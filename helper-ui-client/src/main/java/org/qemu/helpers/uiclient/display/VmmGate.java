package org.qemu.helpers.uiclient.display;

import java.util.Optional;
import org.qemu.helpers.common.trust.Caller;
import org.qemu.helpers.common.trust.PeerTrust;
import org.qemu.helpers.common.trust.TrustLevel;

/**
 * The owner gate by the trust policy: org.qemu's owner must be at least {@code vmm}
 * (CONTRACT.md "Trust levels": a client checks the owner of a name before it trusts it;
 * keystrokes can carry passwords, and the screen can show them).
 */
public final class VmmGate implements OwnerGate {
    private final PeerTrust trust;

    public VmmGate(PeerTrust trust) {
        this.trust = trust;
    }

    @Override
    public Optional<String> refusal(String uniqueName) {
        try {
            Caller c = trust.classify(uniqueName);
            if (c.level().atLeast(TrustLevel.VMM)) {
                return Optional.empty();
            }
            return Optional.of("org.qemu is owned by " + uniqueName + " (uid " + c.credentials().uid() + ", pid "
                    + c.credentials().pid() + ") at trust level " + c.level().wire()
                    + "; the display needs an owner at level vmm or higher");
        } catch (PeerTrust.PeerUnknownException e) {
            return Optional.of("cannot classify the owner " + uniqueName + " of org.qemu: " + e.getMessage());
        }
    }
}
