package org.qemu.helpers.slirpdhcp.transport;

/**
 * How Ethernet frames of one guest get in and out of the helper (netdev stream or dgram socket, inherited
 * descriptor, tap device). Built with its descriptor already open, so that every configuration problem shows up
 * before {@link #start}; {@link #start} registers the descriptor with the {@link EventLoop}, whose one thread
 * reads it beside the NAT's host sockets and hands each frame to the
 * {@link org.qemu.helpers.slirpdhcp.engine.frame.GuestPort} on that same thread (no hop per frame).
 */
public interface FrameFrontEnd extends AutoCloseable {
    void start();

    /** What the front end serves, for the ready line and the log ("fd=32 type=dgram"). */
    String describe();

    /** Stops the reader, detaches the guest and closes the descriptor; idempotent. */
    @Override
    void close();
}
