package org.qemu.helpers.slirpdhcp.engine;

/** A local DNS name (lower case, no trailing dot) with its IPv4 address, served as A and PTR. */
public record HostRecord(String name, int ip) {
    public HostRecord {
        name = Hostnames.normalizeName(name);
    }
}
