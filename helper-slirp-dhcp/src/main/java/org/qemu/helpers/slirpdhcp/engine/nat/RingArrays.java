package org.qemu.helpers.slirpdhcp.engine.nat;

/**
 * The arrays of flow rings handed out again: a ring gives its array back here when it drains or its flow
 * closes, and takes one from here when bytes wait again. Without it every round trip of a request/response flow
 * allocated a fresh {@link TcpFlow#BUFFER}-sized array (host data waits in the ring until the guest acknowledges
 * it) and gave it to the collector: measured with perf on the one-byte ping-pong of bench/nat-netns.sh, 42 % of
 * the helper's CPU was the young collector. At most {@link #KEPT} arrays are kept (2 MiB), so idle memory stays
 * bounded; one engine's flows share it, under the engine's lock. Not thread-safe.
 */
final class RingArrays {
    static final int KEPT = 8;

    private final int length;
    private final byte[][] free = new byte[KEPT][];
    private int count;

    RingArrays(int length) {
        this.length = length;
    }

    /** An array of {@link #length} bytes; old contents are not cleared (a ring writes before it reads). */
    byte[] take() {
        if (count > 0) {
            byte[] a = free[--count];
            free[count] = null;
            return a;
        }
        return new byte[length];
    }

    /** Gives {@code a} back; beyond {@link #KEPT} it is left to the collector. */
    void give(byte[] a) {
        if (a != null && a.length == length && count < KEPT) {
            free[count++] = a;
        }
    }

    int length() {
        return length;
    }

    int kept() {
        return count;
    }
}
