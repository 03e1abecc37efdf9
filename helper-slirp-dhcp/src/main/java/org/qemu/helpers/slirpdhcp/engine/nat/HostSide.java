package org.qemu.helpers.slirpdhcp.engine.nat;

import java.nio.ByteBuffer;

/**
 * The host sockets behind NAT flows, as the engine drives them; the transport implements it with non-blocking
 * sockets and reports back through {@link NatEngine}'s {@code host*} methods. No method blocks.
 */
public interface HostSide {
    /**
     * Starts a non-blocking connect of {@code flow} to {@code ip:port}. Returns true when the socket is connected
     * already (a loopback connect often is by the time connect(2) returns): the flow goes on at once, and the
     * transport reports nothing more for the connect; otherwise the outcome comes back later.
     */
    boolean tcpConnect(TcpFlow flow, int ip, int port);

    /** Writes what the socket takes now; returns the bytes taken, or -1 when the socket failed (reset). */
    long tcpWrite(TcpFlow flow, ByteBuffer[] data);

    /** As {@link #tcpWrite(TcpFlow, ByteBuffer[])} for one range of an array (a segment straight from its frame). */
    default long tcpWrite(TcpFlow flow, byte[] data, int off, int len) {
        return tcpWrite(flow, new ByteBuffer[] {ByteBuffer.wrap(data, off, len)});
    }

    /** Whether the transport should tell the engine when the socket is readable / writable. */
    void tcpInterest(TcpFlow flow, boolean read, boolean write);

    /** Half-closes the socket's sending side: the guest sent FIN (RFC 9293 3.6). */
    void tcpShutdownOutput(TcpFlow flow);

    /** Closes the socket; {@code reset} closes it with RST (SO_LINGER 0), as the guest's RST asks. */
    void tcpClose(TcpFlow flow, boolean reset);

    /** Opens a datagram socket connected to {@code ip:port} for {@code flow}; false when none can be had. */
    boolean udpOpen(UdpFlow flow, int ip, int port);

    /** Sends one datagram on the flow's socket; false when it could not be sent now (dropped). */
    boolean udpSend(UdpFlow flow, byte[] data, int off, int len);

    void udpClose(UdpFlow flow);
}
