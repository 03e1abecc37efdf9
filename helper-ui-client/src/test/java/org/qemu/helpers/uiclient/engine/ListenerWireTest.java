package org.qemu.helpers.uiclient.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

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
    void readsABodyInsideALargerBufferWithoutCopying() {
        byte[] body = updateBody(ByteOrder.LITTLE_ENDIAN, 3, (byte) 7, (byte) 8, (byte) 9);
        byte[] buf = new byte[40 + body.length + 5];
        System.arraycopy(body, 0, buf, 40, body.length);
        ListenerWire.Update u = ListenerWire.update(buf, 40, body.length, false);
        assertEquals(720, u.width());
        assertSame(buf, u.buffer());
        assertEquals(40 + 28, u.dataOffset());
        assertEquals(3, u.dataLength());
        assertArrayEquals(new byte[] {7, 8, 9}, u.data());
        assertNull(ListenerWire.update(buf, 40, body.length + 1, false), "bytes after the array");
        assertNull(ListenerWire.update(buf, buf.length - 10, 28, false), "body beyond the buffer");
        assertNull(ListenerWire.update(buf, -1, 28, false));
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
