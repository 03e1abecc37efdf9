package org.qemu.helpers.slirpdhcp.engine.frame;

import org.qemu.helpers.slirpdhcp.engine.Mac;

/**
 * Where the guest link hands the guest's TCP and UDP to addresses it does not answer itself (the NAT engine). An
 * interface of the link's package, so the link does not depend on the NAT engine, which builds its frames with
 * this package's {@link Frames} (the dependency points one way: nat -> frame).
 */
public interface OffLinkTraffic {
    /** One TCP or UDP packet from the guest that is not for the helper's own services. Never throws. */
    void fromGuest(Mac src, Frames.Ipv4 ip);

    /** A UDP datagram from the guest the link has already parsed (and checksum-verified). Never throws. */
    void fromGuest(Mac src, Frames.Ipv4 ip, Frames.Udp udp);

    /** The front end is delivering a burst of frames it read at once; acting on them may wait for {@link #endBurst}. */
    void beginBurst();

    /** The burst is over: what was held back goes out now. */
    void endBurst();
}
