package org.qemu.helpers.slirpdhcp.engine.frame;

import java.util.function.Consumer;

/**
 * The virtual link as a front end (netdev stream or dgram socket, inherited descriptor, tap device) sees it.
 * A front end calls {@link #attach} when a guest appears (a connection accepted, a descriptor or tap opened),
 * {@link #receive} for every Ethernet frame the guest sends, and {@link #detach} when it goes away. Frames the
 * link originates (host data of a NAT flow, a forward's SYN) go to the sink attached last.
 *
 * <p>A sink sends one whole Ethernet frame, is thread-safe, and must not block for long: a front end whose
 * peer cannot take more drops the frame and counts it (TCP toward the guest retransmits).
 *
 * <p>Neither side keeps a frame's array after the call that passed it returns (a sink copies it out, the link
 * copies what it keeps, e.g. a DNS query's payload): both reuse their arrays ({@link FrameArrays}).
 */
public interface GuestPort {
    /** A guest is reachable through {@code toGuest}; replaces any sink attached before. */
    void attach(Consumer<byte[]> toGuest);

    /** One frame from the guest; {@code replyTo} is the sink of the front end it arrived on. Never throws. */
    void receive(byte[] frame, Consumer<byte[]> replyTo);

    /**
     * One frame of a burst the front end read at once: the link may hold acknowledgements and host writes back
     * until {@link #burstEnd}, which the front end must call before it waits for more.
     */
    default void receiveInBurst(byte[] frame, Consumer<byte[]> replyTo) {
        receive(frame, replyTo);
    }

    /**
     * As {@link #receiveInBurst(byte[], Consumer)}, for a front end whose link takes checksums off the guest's
     * kernel: {@code checksumDeferred} when the frame's TCP or UDP checksum is not computed (see
     * {@link Frames.Ipv4#checksumDeferred()}).
     */
    default void receiveInBurst(byte[] frame, Consumer<byte[]> replyTo, boolean checksumDeferred) {
        receiveInBurst(frame, replyTo);
    }

    /** The front end has delivered every frame it had: what the link held back for the burst goes out now. */
    default void burstEnd() {
    }

    /** {@code toGuest} is gone; if it is the attached sink, host-originated frames are dropped until a new attach. */
    void detach(Consumer<byte[]> toGuest);
}
