package org.qemu.helpers.slirpdhcp.dbus;

import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.annotations.Position;
import org.freedesktop.dbus.types.UInt16;

/** One row of ListForwards: (protocol, host address, host port, guest address or "" for the current lease, guest port). */
public final class ForwardEntry extends Struct {
    @Position(0)
    private final String proto;
    @Position(1)
    private final String hostAddress;
    @Position(2)
    private final UInt16 hostPort;
    @Position(3)
    private final String guestAddress;
    @Position(4)
    private final UInt16 guestPort;

    public ForwardEntry(String proto, String hostAddress, UInt16 hostPort, String guestAddress, UInt16 guestPort) {
        this.proto = proto;
        this.hostAddress = hostAddress;
        this.hostPort = hostPort;
        this.guestAddress = guestAddress;
        this.guestPort = guestPort;
    }

    public String getProto() {
        return proto;
    }

    public String getHostAddress() {
        return hostAddress;
    }

    public UInt16 getHostPort() {
        return hostPort;
    }

    public String getGuestAddress() {
        return guestAddress;
    }

    public UInt16 getGuestPort() {
        return guestPort;
    }
}
