package org.qemu.helpers.slirpdhcp.transport;

import com.sun.jna.Memory;
import java.nio.ByteBuffer;

/**
 * Copies between Java arrays and a native buffer seen both as JNA {@link Memory} and as a direct {@link ByteBuffer}
 * over the same bytes. A short copy (a one-byte round trip's frame or payload) goes through the buffer: a plain
 * Java loop or one copyMemory, no JNA JNI call. A long one (a bulk segment, up to 64 KiB) goes through JNA, whose
 * JNI array-region copy is a memcpy, where the JDK's Unsafe.copyMemory copies in 8-byte atomic units. Sixth round
 * (module README): with every copy through the buffer, and every one-frame wake-up cut short, guest-to-host iperf3
 * at MTU 1500 measured 8.7-9.7 Gbit/s against the old jar's 9.7-12.3; with this split and
 * PacketFrontEnd#ONE_FRAME_AT_MOST 12.4-14.2 against 9.3-13.7 (which of the two mattered was not separated).
 */
final class NativeCopy {
    /** At most this many bytes go through the ByteBuffer: a small frame, never a bulk segment. */
    static final int SHORT = 512;

    private NativeCopy() {
    }

    /** {@code len} bytes from native {@code at} into {@code dst[off..]}. */
    static void in(Memory mem, ByteBuffer view, int at, byte[] dst, int off, int len) {
        if (len <= SHORT) {
            view.get(at, dst, off, len);
        } else {
            mem.read(at, dst, off, len);
        }
    }

    /** {@code len} bytes of {@code src[off..]} to native {@code at}. */
    static void out(Memory mem, ByteBuffer view, int at, byte[] src, int off, int len) {
        if (len <= SHORT) {
            view.put(at, src, off, len);
        } else {
            mem.write(at, src, off, len);
        }
    }
}
