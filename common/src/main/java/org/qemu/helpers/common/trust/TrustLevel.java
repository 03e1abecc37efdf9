package org.qemu.helpers.common.trust;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The four ordered trust levels of CONTRACT.md: untrusted &lt; vmm &lt; helper &lt; admin.
 * {@code vmm} is QEMU: it runs guest-facing code, so helpers trust it less than each other.
 */
public enum TrustLevel {
    UNTRUSTED, VMM, HELPER, ADMIN;

    /** The lower-case name used in policy files, logs and D-Bus properties. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** True when this level is at least {@code needed}. */
    public boolean atLeast(TrustLevel needed) {
        return compareTo(needed) >= 0;
    }

    /** Parses a policy-file level name; empty when it is not one of the four. */
    public static Optional<TrustLevel> parse(String text) {
        return Arrays.stream(values()).filter(l -> l.wire().equals(text)).findFirst();
    }

    /** The allowed names, for error messages. */
    public static String allowed() {
        return "untrusted, vmm, helper, admin";
    }
}
