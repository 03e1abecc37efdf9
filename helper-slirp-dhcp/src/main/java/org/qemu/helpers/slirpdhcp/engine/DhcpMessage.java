package org.qemu.helpers.slirpdhcp.engine;

/**
 * A BOOTP/DHCP message (RFC 2131 section 2, figure 1). {@code chaddr} holds {@code hlen} bytes.
 */
public record DhcpMessage(int op, int htype, int hops, int xid, int secs, int flags, int ciaddr, int yiaddr,
                          int siaddr, int giaddr, byte[] chaddr, DhcpOptions options) {
    public static final int BOOTREQUEST = 1;
    public static final int BOOTREPLY = 2;
    /** RFC 2131 2: the leftmost bit of flags asks for broadcast replies. */
    public static final int FLAG_BROADCAST = 0x8000;

    public boolean broadcastFlag() {
        return (flags & FLAG_BROADCAST) != 0;
    }

    /** The client's Ethernet address (htype 1, hlen 6). */
    public Mac mac() {
        return Mac.of(chaddr, 0);
    }

    public DhcpMessageType type() {
        return options.messageType().orElse(null);
    }
}
