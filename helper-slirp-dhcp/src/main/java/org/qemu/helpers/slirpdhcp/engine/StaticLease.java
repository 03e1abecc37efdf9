package org.qemu.helpers.slirpdhcp.engine;

import org.qemu.helpers.common.text.Untrusted;

/** An address reserved for one MAC, optionally with a hostname sent as option 12 and published in DNS. */
public record StaticLease(Mac mac, int ip, String hostname) {
    public StaticLease {
        if (!hostname.isEmpty() && !Hostnames.isValidLabel(hostname)) {
            throw new IllegalArgumentException("hostname '" + Untrusted.printable(hostname, 80)
                    + "' is not a valid RFC 1123 label (a-z, 0-9, '-', 1-63 characters)");
        }
    }
}
