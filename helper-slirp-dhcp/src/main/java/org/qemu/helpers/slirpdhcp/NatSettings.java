package org.qemu.helpers.slirpdhcp;

import java.util.List;
import org.qemu.helpers.slirpdhcp.engine.nat.Forward;
import org.qemu.helpers.slirpdhcp.engine.nat.NatPolicy;

/**
 * The user-mode networking part of an instance: what the guest may reach, and the forwards from the host.
 *
 * @param enabled false serves DHCP and DNS only (the first edition's behaviour; tests of those alone)
 */
public record NatSettings(boolean enabled, NatPolicy policy, List<Forward> forwards) {
    public NatSettings {
        forwards = List.copyOf(forwards);
    }

    public static NatSettings defaults() {
        return new NatSettings(true, NatPolicy.defaults(), List.of());
    }
}
