package org.qemu.helpers.slirpdhcp.dbus;

import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.annotations.Position;

/** One row of ListLeases: (mac, ip, hostname, expiry as Unix seconds, 0 for static). */
public final class LeaseEntry extends Struct {
    @Position(0)
    private final String mac;
    @Position(1)
    private final String ip;
    @Position(2)
    private final String hostname;
    @Position(3)
    private final long expiry;

    public LeaseEntry(String mac, String ip, String hostname, long expiry) {
        this.mac = mac;
        this.ip = ip;
        this.hostname = hostname;
        this.expiry = expiry;
    }

    public String getMac() {
        return mac;
    }

    public String getIp() {
        return ip;
    }

    public String getHostname() {
        return hostname;
    }

    public long getExpiry() {
        return expiry;
    }
}
