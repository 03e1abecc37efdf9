package org.qemu.helpers.uiclient.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class ListenerWireTest {
    /** An Update body as GDBus marshals "iiiiuuay" (little-endian, array length then bytes). */
    private static byte[] updateBody(ByteOrder order, int declaredLength, byte... data) {
        ByteBuffer b = ByteBuffer.allocate(28 + data.length).order(order);
        b.putInt(-3).putInt(16).putInt(720).putInt(16).putInt(2880).putInt(0x20020888).putInt(declaredLength).put(data);
        return b.array();
    }

    @Test
    void readsAnUpdateInEitherByteOrder() {
        for (ByteOrder o : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            ListenerWire.Update u = ListenerWire.update(updateBody(o, 3, (byte) 1, (byte) 2, (byte) 3),
                    o == ByteOrder.BIG_ENDIAN);
            assertEquals(-3, u.x());
            assertEquals(16, u.y());
            assertEquals(720, u.width());
            assertEquals(16, u.height());
            assertEquals(2880, u.stride());
            assertEquals(0x20020888L, u.format());
            assertArrayEquals(new byte[] {1, 2, 3}, u.data());
        }
    }

    @Test
    void readsAScanout() {
        ByteBuffer b = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(640).putInt(480).putInt(2560).putInt(0x20020888).putInt(2).put((byte) 9).put((byte) 8);
        ListenerWire.Scanout s = ListenerWire.scanout(b.array(), false);
        assertEquals(640, s.width());
        assertEquals(480, s.height());
        assertArrayEquals(new byte[] {9, 8}, s.data());
    }

    @Test
    void leavesAnythingElseToTheOrdinaryPath() {
        assertNull(ListenerWire.update(updateBody(ByteOrder.LITTLE_ENDIAN, 4, (byte) 1, (byte) 2), false),
                "array length beyond the body");
        assertNull(ListenerWire.update(updateBody(ByteOrder.LITTLE_ENDIAN, 1, (byte) 1, (byte) 2), false),
                "bytes after the array");
        assertNull(ListenerWire.update(updateBody(ByteOrder.LITTLE_ENDIAN, -1), false), "2^32-1 length");
        assertNull(ListenerWire.update(new byte[27], false), "shorter than the fixed part");
        assertNull(ListenerWire.scanout(null, false));
        assertNull(ListenerWire.scanout(new byte[19], false));
    }
}
