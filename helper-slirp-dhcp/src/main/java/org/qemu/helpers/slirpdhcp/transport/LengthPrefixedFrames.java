package org.qemu.helpers.slirpdhcp.transport;

import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.qemu.helpers.slirpdhcp.engine.frame.FrameArrays;
import org.qemu.helpers.slirpdhcp.engine.frame.Frames;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestPort;

/**
 * The framing of QEMU's {@code -netdev stream} and of SOCK_STREAM descriptors: each Ethernet frame behind its
 * length as a 4-byte big-endian integer. Parses what one read brought; a frame cut by the read waits for the next.
 */
final class LengthPrefixedFrames {
    /** What {@link #deliver} returns when every whole frame was delivered (the rest, if any, is a frame's start). */
    static final long OK = -1;

    private LengthPrefixedFrames() {
    }

    /**
     * Hands every whole frame in {@code in} (read mode) to {@code link} as frames of one burst; returns {@link #OK}
     * or, for a length no frame can have, that length (unsigned): the stream cannot be resynchronised.
     */
    static long deliver(ByteBuffer in, FrameArrays arrays, GuestPort link, Consumer<byte[]> replyTo) {
        while (in.remaining() >= 4) {
            int len = in.getInt(in.position());
            if (len < 0 || len > Frames.MAX_FRAME) {
                return Integer.toUnsignedLong(len);
            }
            if (in.remaining() < 4 + len) {
                return OK; // the rest arrives later; the reader's buffer holds any whole frame
            }
            in.position(in.position() + 4);
            byte[] frame = arrays.get(len);
            in.get(frame);
            link.receiveInBurst(frame, replyTo);
        }
        return OK;
    }
}
