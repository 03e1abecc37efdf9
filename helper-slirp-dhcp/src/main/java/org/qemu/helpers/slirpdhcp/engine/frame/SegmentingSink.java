package org.qemu.helpers.slirpdhcp.engine.frame;

import java.util.function.Consumer;

/**
 * A sink toward a guest link that does for TCP what a NIC's offloads do: it completes the checksum and cuts a
 * long segment into segments of the guest's MSS (virtio-net's NEEDS_CSUM and GSO, as a tap with IFF_VNET_HDR
 * takes them; a local guest stack takes the long segment whole, as after GRO). Frames the link originates
 * otherwise still go through {@link #accept} with every checksum computed.
 */
public interface SegmentingSink extends Consumer<byte[]> {
    /**
     * One Ethernet/IPv4/TCP frame whose TCP checksum field holds only the folded pseudo-header sum (RFC 9293 3.1),
     * carrying up to {@link #maxPayload()} bytes, cut by the link into segments of at most {@code mss} bytes
     * (RFC 9293 3.7.1: none larger than the MSS the guest announced).
     */
    void acceptSegments(byte[] frame, int mss);

    /** The most TCP payload one {@link #acceptSegments} frame may carry. */
    int maxPayload();
}
