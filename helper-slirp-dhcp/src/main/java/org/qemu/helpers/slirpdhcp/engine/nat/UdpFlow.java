package org.qemu.helpers.slirpdhcp.engine.nat;

import org.qemu.helpers.slirpdhcp.engine.Mac;

/**
 * One guest UDP flow (guest address and port, remote address and port) and its host datagram socket. UDP has no
 * end, so a flow ends after {@link #IDLE_MS} without a datagram either way (libslirp keeps 240 s; a NAT keeps
 * at least 2 minutes by RFC 4787 REQ-5 — we keep 120 s).
 */
public final class UdpFlow {
    public static final long IDLE_MS = 120_000;

    private final FlowKey key;
    private final Mac guestMac;
    /** For a forward: the host peer's address and port the guest's replies go back to; null for outbound. */
    private final Forward forward;
    /** The transport's handle (its socket, or the forward's socket and the peer address). */
    public Object hostHandle;
    private long lastUsed;

    UdpFlow(FlowKey key, Mac guestMac, Forward forward, long now) {
        this.key = key;
        this.guestMac = guestMac;
        this.forward = forward;
        this.lastUsed = now;
    }

    public FlowKey key() {
        return key;
    }

    public Forward forward() {
        return forward;
    }

    Mac guestMac() {
        return guestMac;
    }

    void used(long now) {
        lastUsed = now;
    }

    boolean idle(long now) {
        return now - lastUsed >= IDLE_MS;
    }

    long deadline() {
        return lastUsed + IDLE_MS;
    }
}
