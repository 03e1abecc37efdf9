package org.qemu.helpers.slirpdhcp.engine.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class RingArraysTest {
    @Test
    void aDrainedRingsArrayServesTheNextRingAndAtMostKeptArraysWait() {
        RingArrays pool = new RingArrays(1024);
        ByteRing a = new ByteRing(pool);
        a.append(new byte[10], 0, 10);
        byte[] first = a.views(0, 10)[0].array();
        a.drop(10);
        a.trim();
        assertEquals(1, pool.kept(), "a drained ring gives its array back");
        ByteRing b = new ByteRing(pool);
        b.append(new byte[3], 0, 3);
        assertSame(first, b.views(0, 3)[0].array(), "and the next ring takes it, no new array");
        b.release();
        for (int i = 0; i < RingArrays.KEPT + 5; i++) {
            pool.give(new byte[1024]);
        }
        assertEquals(RingArrays.KEPT, pool.kept(), "the pool is bounded");
        pool.give(new byte[512]);
        assertEquals(RingArrays.KEPT, pool.kept());
        assertNotSame(pool.take(), pool.take());
    }
}
