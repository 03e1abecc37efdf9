package org.qemu.helpers.slirpdhcp.engine;

/** Builds client messages the way DHCP clients do (RFC 2131 table 5). */
final class Clients {
    private Clients() {
    }

    static DhcpMessage msg(DhcpMessageType type, Mac mac, int ciaddr, DhcpOptions extra) {
        DhcpOptions o = new DhcpOptions();
        o.putU8(DhcpOption.MESSAGE_TYPE, type.code());
        extra.asMap().forEach(o::put);
        return new DhcpMessage(DhcpMessage.BOOTREQUEST, 1, 0, 0x1234, 0, 0, ciaddr, 0, 0, 0, mac.bytes(), o);
    }

    static DhcpMessage roundTrip(DhcpMessage m) throws MalformedException {
        return DhcpCodec.decode(DhcpCodec.encode(m, 1472));
    }

    static DhcpOptions opts() {
        return new DhcpOptions();
    }
}
