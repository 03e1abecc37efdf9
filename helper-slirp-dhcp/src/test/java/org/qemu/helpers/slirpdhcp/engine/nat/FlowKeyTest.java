package org.qemu.helpers.slirpdhcp.engine.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** FlowKey's hand-written equals/hashCode must keep the record's contract: every component counts. */
class FlowKeyTest {
    private static final FlowKey K = new FlowKey(6, 0x0a00020f, 40000, 0x0a000202, 80);

    @Test
    void equalComponentsAreEqualWithTheSameHashAndFindTheSameMapEntry() {
        FlowKey same = new FlowKey(6, 0x0a00020f, 40000, 0x0a000202, 80);
        assertEquals(K, same);
        assertEquals(K.hashCode(), same.hashCode());
        Map<FlowKey, String> m = new HashMap<>();
        m.put(K, "flow");
        assertSame("flow", m.get(same));
    }

    @Test
    void eachComponentAloneMakesADifferentKey() {
        FlowKey[] others = {
            new FlowKey(17, 0x0a00020f, 40000, 0x0a000202, 80),
            new FlowKey(6, 0x0a000210, 40000, 0x0a000202, 80),
            new FlowKey(6, 0x0a00020f, 40001, 0x0a000202, 80),
            new FlowKey(6, 0x0a00020f, 40000, 0x0a000203, 80),
            new FlowKey(6, 0x0a00020f, 40000, 0x0a000202, 81),
        };
        for (FlowKey o : others) {
            assertNotEquals(K, o, o.toString());
            assertNotEquals(o, K, o.toString());
            assertNotEquals(K.hashCode(), o.hashCode(), o.toString());
        }
        assertNotEquals(K, null);
        assertNotEquals(K, "tcp 10.0.2.15:40000 -> 10.0.2.2:80");
    }
}
