package org.qemu.helpers.slirpdhcp.dbus;

import org.freedesktop.dbus.Struct;
import org.freedesktop.dbus.annotations.Position;
import org.freedesktop.dbus.types.UInt64;

/** One row of ListFlows: (protocol, state, guest address:port, remote address:port as the guest sees it, host side address:port, bytes buffered). */
public final class FlowEntry extends Struct {
    @Position(0)
    private final String proto;
    @Position(1)
    private final String state;
    @Position(2)
    private final String guest;
    @Position(3)
    private final String remote;
    @Position(4)
    private final String hostSide;
    @Position(5)
    private final UInt64 buffered;

    public FlowEntry(String proto, String state, String guest, String remote, String hostSide, UInt64 buffered) {
        this.proto = proto;
        this.state = state;
        this.guest = guest;
        this.remote = remote;
        this.hostSide = hostSide;
        this.buffered = buffered;
    }

    public String getProto() {
        return proto;
    }

    public String getState() {
        return state;
    }

    public String getGuest() {
        return guest;
    }

    public String getRemote() {
        return remote;
    }

    public String getHostSide() {
        return hostSide;
    }

    public UInt64 getBuffered() {
        return buffered;
    }
}
