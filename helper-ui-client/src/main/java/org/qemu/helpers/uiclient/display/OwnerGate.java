package org.qemu.helpers.uiclient.display;

import java.util.Optional;

/**
 * Decides whether the current owner of {@code org.qemu} may be shown and sent keystrokes
 * (CONTRACT.md: the UI client checks that {@code org.qemu} is owned by a {@code vmm} peer).
 */
@FunctionalInterface
public interface OwnerGate {
    /** Empty if {@code uniqueName} is trusted enough, else the reason it is refused. */
    Optional<String> refusal(String uniqueName);
}
