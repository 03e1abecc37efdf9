package org.qemu.helpers.slirpdhcp.engine;

/**
 * A server message and where RFC 2131 4.1 says it goes.
 *
 * @param maxSize the largest DHCP message the client accepts (option 57, at least 548)
 */
public record DhcpReply(DhcpMessage message, Delivery delivery, int destIp, Mac destMac, int maxSize) {
    /** RFC 2131 4.1 delivery cases (relay, ciaddr, broadcast, yiaddr+chaddr). */
    public enum Delivery {
        RELAY, CIADDR, BROADCAST, YIADDR
    }

    public byte[] encode() {
        return DhcpCodec.encode(message, maxSize);
    }
}
