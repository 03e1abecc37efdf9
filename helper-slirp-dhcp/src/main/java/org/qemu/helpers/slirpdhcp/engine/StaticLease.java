package org.qemu.helpers.slirpdhcp.engine;

/** An address reserved for one MAC, optionally with a hostname sent as option 12 and published in DNS. */
public record StaticLease(Mac mac, int ip, String hostname) {
    public StaticLease {
        if (!hostname.isEmpty() && !Hostnames.isValidLabel(hostname)) {
            throw new IllegalArgumentException("hostname '" + Hostnames.escape(hostname)
                    + "' is not a valid RFC 1123 label (a-z, 0-9, '-', 1-63 characters)");
        }
    }
}
