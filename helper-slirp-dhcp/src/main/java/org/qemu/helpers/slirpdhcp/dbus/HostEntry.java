package org.qemu.helpers.slirpdhcp.dbus;

import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.annotations.Position;

/** One row of ListHostRecords: (name, address). */
public final class HostEntry extends Struct {
    @Position(0)
    private final String name;
    @Position(1)
    private final String address;

    public HostEntry(String name, String address) {
        this.name = name;
        this.address = address;
    }

    public String getName() {
        return name;
    }

    public String getAddress() {
        return address;
    }
}
