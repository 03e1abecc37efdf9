package org.qemu.helpers.slirpdhcp.engine.nat;

import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.frame.FrameArrays;

/** What a flow needs from the engine around it: the guest side of the link, the host sockets, the clock. */
interface NatLink {
    /** Sends one frame to the guest (dropped when no guest is attached). */
    void toGuest(byte[] frame);

    /** The attached sink when it completes TCP checksums and segments long frames itself, else null. */
    org.qemu.helpers.slirpdhcp.engine.frame.SegmentingSink segmenting();

    HostSide host();

    long nowMs();

    /** The MAC frames from outside the guest's network come from: the gateway's. */
    Mac gatewayMac();

    /** The largest TCP payload one frame to the guest can carry: link MTU - 40 (RFC 9293 3.7.1). */
    int linkMss();

    /** The arrays frames toward the guest are built in (used under the engine's lock). */
    FrameArrays frameArrays();

    /** Where flows' ring arrays come from and go back to (used under the engine's lock). */
    RingArrays ringArrays();

    /** Counts one event in the helper's Statistics. */
    void count(String counter);

    /**
     * Whether the front end is in a burst of guest frames: then a flow may hold its ACK and its host write back
     * and ask for {@link TcpFlow#endOfBurst} by {@link #deferred}; outside a burst it acts at once.
     */
    boolean inBurst();

    /** The flow held something back for the end of the current burst. */
    void deferred(TcpFlow flow);
}
