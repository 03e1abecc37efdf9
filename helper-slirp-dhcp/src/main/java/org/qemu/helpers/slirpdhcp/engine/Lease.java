package org.qemu.helpers.slirpdhcp.engine;

/**
 * A dynamic binding of an address to a client (RFC 2131 1: "binding").
 *
 * @param clientKey client identifier (option 61) as {@code id:HEX}, or {@code hw:MAC} without one (RFC 2131 4.2)
 * @param hostname a valid RFC 1123 label or ""
 * @param expiresAt Unix seconds
 */
public record Lease(String clientKey, Mac mac, int ip, String hostname, long expiresAt) {
    public Lease {
        if (clientKey.isEmpty() || clientKey.length() > 600) {
            throw new IllegalArgumentException("bad client key length");
        }
        if (!hostname.isEmpty() && !Hostnames.isValidLabel(hostname)) {
            throw new IllegalArgumentException("bad hostname");
        }
    }
}
