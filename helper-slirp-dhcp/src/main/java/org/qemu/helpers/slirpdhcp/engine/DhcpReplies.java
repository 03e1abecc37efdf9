package org.qemu.helpers.slirpdhcp.engine;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds the server's messages (RFC 2131 4.3.1-4.3.5, options RFC 2132) and where each one goes (RFC 2131 4.1):
 * OFFER and ACK with the network's configuration, NAK with a reason. No state beyond the network's.
 */
final class DhcpReplies {
    private final NetworkConfig cfg;

    DhcpReplies(NetworkConfig cfg) {
        this.cfg = cfg;
    }

    /**
     * An OFFER or ACK. {@code withLease} adds the lease times (not for INFORM, RFC 2131 4.3.5);
     * {@code staticHostname} (or "") is sent as option 12 when the address is a static lease's.
     */
    DhcpReply reply(DhcpMessage m, DhcpMessageType type, int yiaddr, int ciaddr, boolean withLease,
                    String staticHostname) {
        Map<Integer, byte[]> avail = new LinkedHashMap<>();
        avail.put(DhcpOption.SUBNET_MASK, Ip4.bytes(cfg.mask()));
        avail.put(DhcpOption.ROUTER, Ip4.bytes(cfg.gateway()));
        avail.put(DhcpOption.DNS, Ip4.bytes(cfg.dns()));
        if (!cfg.domain().isEmpty()) {
            avail.put(DhcpOption.DOMAIN_NAME, cfg.domain().getBytes(StandardCharsets.US_ASCII));
        }
        if (!cfg.search().isEmpty()) {
            avail.put(DhcpOption.DOMAIN_SEARCH, DhcpCodec.encodeSearchList(cfg.search()));
        }
        if (cfg.mtu() != 0) {
            avail.put(DhcpOption.INTERFACE_MTU, new byte[] {(byte) (cfg.mtu() >>> 8), (byte) cfg.mtu()});
        }
        avail.put(DhcpOption.BROADCAST_ADDRESS, Ip4.bytes(cfg.broadcast()));
        if (withLease && !staticHostname.isEmpty()) {
            avail.put(DhcpOption.HOSTNAME, staticHostname.getBytes(StandardCharsets.US_ASCII));
        }
        DhcpOptions o = new DhcpOptions();
        o.putU8(DhcpOption.MESSAGE_TYPE, type.code());
        o.putIp(DhcpOption.SERVER_ID, cfg.gateway());
        if (withLease) {
            int t = cfg.leaseSeconds();
            o.putU32(DhcpOption.LEASE_TIME, t);
            o.putU32(DhcpOption.RENEWAL_TIME, t / 2); // RFC 2131 4.4.5: T1 = 0.5 * lease
            o.putU32(DhcpOption.REBINDING_TIME, (int) (t * 7L / 8)); // T2 = 0.875 * lease
        }
        // RFC 2132 9.8: requested options first, in the client's order; then the rest we always send.
        m.options().get(DhcpOption.PARAMETER_LIST).ifPresent(prl -> {
            for (byte b : prl) {
                byte[] v = avail.remove(b & 0xff);
                if (v != null) {
                    o.put(b & 0xff, v);
                }
            }
        });
        avail.remove(DhcpOption.BROADCAST_ADDRESS); // only on request
        avail.forEach(o::put);
        m.options().get(DhcpOption.CLIENT_ID).ifPresent(id -> o.put(DhcpOption.CLIENT_ID, id)); // RFC 6842
        DhcpMessage msg = new DhcpMessage(DhcpMessage.BOOTREPLY, 1, 0, m.xid(), 0, m.flags(), ciaddr, yiaddr, 0,
                m.giaddr(), m.chaddr(), o);
        DhcpReply.Delivery d;
        int dest;
        Mac destMac = m.mac();
        if (m.giaddr() != 0) {
            d = DhcpReply.Delivery.RELAY;
            dest = m.giaddr();
        } else if (m.ciaddr() != 0) {
            d = DhcpReply.Delivery.CIADDR;
            dest = m.ciaddr();
        } else if (m.broadcastFlag() || yiaddr == 0) {
            d = DhcpReply.Delivery.BROADCAST;
            dest = -1;
            destMac = Mac.BROADCAST;
        } else {
            d = DhcpReply.Delivery.YIADDR;
            dest = yiaddr;
        }
        return new DhcpReply(msg, d, dest, destMac, maxSize(m));
    }

    /** A NAK saying {@code why} (option 56). */
    DhcpReply nak(DhcpMessage m, String why) {
        DhcpOptions o = new DhcpOptions();
        o.putU8(DhcpOption.MESSAGE_TYPE, DhcpMessageType.NAK.code());
        o.putIp(DhcpOption.SERVER_ID, cfg.gateway());
        o.put(DhcpOption.MESSAGE, why.getBytes(StandardCharsets.US_ASCII));
        m.options().get(DhcpOption.CLIENT_ID).ifPresent(id -> o.put(DhcpOption.CLIENT_ID, id));
        DhcpMessage msg = new DhcpMessage(DhcpMessage.BOOTREPLY, 1, 0, m.xid(), 0, m.flags(), 0, 0, 0, m.giaddr(),
                m.chaddr(), o);
        // RFC 2131 4.1: without a relay a NAK is always broadcast.
        DhcpReply.Delivery d = m.giaddr() != 0 ? DhcpReply.Delivery.RELAY : DhcpReply.Delivery.BROADCAST;
        return new DhcpReply(msg, d, m.giaddr() != 0 ? m.giaddr() : -1, Mac.BROADCAST, maxSize(m));
    }

    /** RFC 2132 9.10: option 57 counts the whole IP datagram; never below 576. */
    private static int maxSize(DhcpMessage m) {
        int v = m.options().u16(DhcpOption.MAX_MESSAGE_SIZE).orElse(576);
        return Math.max(DhcpCodec.MIN_MAX_SIZE, v - 28);
    }
}
