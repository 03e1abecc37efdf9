package org.qemu.helpers.uiclient.display;

/**
 * Where {@link PairTransport} hands QEMU's pixel calls that it read straight from the wire: the
 * arguments as primitives and the pixels as a range of the transport's receive buffer, which is
 * reused for the next message as soon as the call returns (the engine converts the pixels into
 * its own frame during the call and keeps no reference).
 */
interface PixelSink {
    void scanout(long width, long height, long stride, long format, byte[] buffer, int offset, int length);

    void update(int x, int y, int width, int height, long stride, long format, byte[] buffer, int offset,
                int length);

    void disable();
}
