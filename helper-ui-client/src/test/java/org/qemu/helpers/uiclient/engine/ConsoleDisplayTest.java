package org.qemu.helpers.uiclient.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConsoleDisplayTest {
    private static final long XRGB = PixelFormat.X8R8G8B8.code();

    /** Little-endian x8r8g8b8 bytes for rgb pixels, with {@code pad} extra bytes per row. */
    static byte[] xrgb(int w, int h, int pad, int... rgb) {
        int stride = w * 4 + pad;
        byte[] b = new byte[stride * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = rgb[(y * w + x) % rgb.length];
                int o = y * stride + x * 4;
                b[o] = (byte) v;
                b[o + 1] = (byte) (v >> 8);
                b[o + 2] = (byte) (v >> 16);
                b[o + 3] = (byte) 0xff;
            }
        }
        return b;
    }

    @Test
    void scanoutWithPaddedStrideKeepsEveryPixel() throws Exception {
        ConsoleDisplay c = new ConsoleDisplay(0);
        c.scanout(3, 2, 3 * 4 + 8, XRGB, xrgb(3, 2, 8, 0x112233, 0x445566, 0x778899, 0xaabbcc, 0xddeeff, 0x010203));
        ConsoleDisplay.Frame f = c.frame();
        assertEquals(3, f.width());
        assertEquals(2, f.height());
        assertArrayEquals(new int[] {0x112233, 0x445566, 0x778899, 0xaabbcc, 0xddeeff, 0x010203}, f.rgb());
    }

    @Test
    void updateChangesOnlyItsRectangleAndMarksItDirty() throws Exception {
        ConsoleDisplay c = new ConsoleDisplay(0);
        c.scanout(4, 4, 16, XRGB, xrgb(4, 4, 0, 0));
        DirtyRegion viewer = c.subscribe();
        assertTrue(viewer.take().resized(), "a new viewer starts with the whole frame");
        c.update(1, 2, 2, 1, 8, XRGB, xrgb(2, 1, 0, 0xff0000, 0x00ff00));
        int[] px = c.frame().rgb();
        assertEquals(0xff0000, px[2 * 4 + 1]);
        assertEquals(0x00ff00, px[2 * 4 + 2]);
        assertEquals(0, px[2 * 4 + 3]);
        assertEquals(0, px[1 * 4 + 1]);
        Damage d = viewer.take();
        assertEquals(List.of(new Rect(1, 2, 2, 1)), d.rects());
        assertTrue(viewer.take().isEmpty());
    }

    @Test
    void unchangedPixelsAreNotMarkedDirty() throws Exception {
        ConsoleDisplay c = new ConsoleDisplay(0);
        c.scanout(4, 4, 16, XRGB, xrgb(4, 4, 0, 0x101010));
        DirtyRegion viewer = c.subscribe();
        viewer.take();
        c.update(0, 0, 4, 4, 16, XRGB, xrgb(4, 4, 0, 0x101010));
        assertTrue(viewer.take().isEmpty(), "a re-sent identical rectangle is not pushed again");
        byte[] one = xrgb(4, 4, 0, 0x101010);
        one[(2 * 4 + 3) * 4] = 0x7f; // pixel (3,2) changes
        c.update(0, 0, 4, 4, 16, XRGB, one);
        assertEquals(List.of(new Rect(3, 2, 1, 1)), viewer.take().rects());
        assertEquals(3, c.updates(), "one Scanout and two Updates applied");
    }

    @Test
    void sameSizeScanoutMarksOnlyChangedPixelsAndNewSizeResizes() throws Exception {
        ConsoleDisplay c = new ConsoleDisplay(0);
        c.scanout(4, 4, 16, XRGB, xrgb(4, 4, 0, 0x202020));
        DirtyRegion viewer = c.subscribe();
        viewer.take();
        byte[] next = xrgb(4, 4, 0, 0x202020);
        next[(1 * 4 + 1) * 4] = 0x01;
        c.scanout(4, 4, 16, XRGB, next);
        Damage d = viewer.take();
        assertTrue(!d.resized());
        assertEquals(List.of(new Rect(1, 1, 1, 1)), d.rects());
        c.scanout(2, 2, 8, XRGB, xrgb(2, 2, 0, 0x303030));
        d = viewer.take();
        assertTrue(d.resized());
        assertEquals(List.of(new Rect(0, 0, 2, 2)), d.rects());
        assertEquals(0x303030, c.frame().rgb()[3]);
    }

    @Test
    void hostileMessagesAreRejectedCountedAndChangeNothing() throws Exception {
        ConsoleDisplay c = new ConsoleDisplay(0);
        c.scanout(2, 2, 8, XRGB, xrgb(2, 2, 0, 0x123456));
        int[] before = c.frame().rgb();
        // oversized width
        assertThrows(DisplayProtocolException.class, () -> c.scanout(100_000, 1, 400_000, XRGB, new byte[16]));
        // more pixels than the bound although each side is fine
        assertThrows(DisplayProtocolException.class, () -> c.scanout(16384, 16384, 65536, XRGB, new byte[16]));
        // stride smaller than a row
        assertThrows(DisplayProtocolException.class, () -> c.scanout(2, 2, 7, XRGB, new byte[64]));
        // data shorter than stated
        assertThrows(DisplayProtocolException.class, () -> c.scanout(2, 2, 8, XRGB, new byte[15]));
        // unknown format
        assertThrows(DisplayProtocolException.class, () -> c.scanout(2, 2, 8, 0x08018000L, new byte[16]));
        // negative / huge unsigned values as dbus-java delivers them in a long
        assertThrows(DisplayProtocolException.class, () -> c.scanout(0xffffffffL, 2, 8, XRGB, new byte[16]));
        // update outside the console, and negative position
        assertThrows(DisplayProtocolException.class, () -> c.update(1, 1, 2, 2, 8, XRGB, new byte[16]));
        assertThrows(DisplayProtocolException.class, () -> c.update(-1, 0, 1, 1, 4, XRGB, new byte[4]));
        assertThrows(DisplayProtocolException.class,
                () -> c.update(Integer.MAX_VALUE, 0, 1, 1, 4, XRGB, new byte[4]));
        assertThrows(DisplayProtocolException.class, () -> c.update(0, 0, 0, 1, 4, XRGB, new byte[4]));
        // a cursor whose data does not match its size
        assertThrows(DisplayProtocolException.class, () -> c.cursorDefine(4, 4, 0, 0, new byte[63]));
        assertThrows(DisplayProtocolException.class, () -> c.cursorDefine(4, 4, 4, 0, new byte[64]));
        assertThrows(DisplayProtocolException.class, () -> c.cursorDefine(100_000, 1, 0, 0, new byte[4]));
        assertEquals(13, c.rejected());
        assertArrayEquals(before, c.frame().rgb());
        assertNull(c.cursor());
    }

    @Test
    void updateBeyondTheSurfaceResizesToThePublishedSizeOnce() throws Exception {
        ConsoleDisplay c = new ConsoleDisplay(0);
        c.scanout(4, 4, 16, XRGB, xrgb(4, 4, 0, 0x111111));
        DirtyRegion v = c.subscribe();
        v.take();
        int[] asked = {0};
        c.update(0, 5, 6, 1, 24, XRGB, xrgb(6, 1, 0, 0xabcdef), () -> {
            asked[0]++;
            return new long[] {6, 6};
        });
        assertEquals(1, asked[0]);
        assertEquals(6, c.width());
        assertEquals(0x111111, c.frame().rgb()[0], "old pixels kept");
        assertEquals(0xabcdef, c.frame().rgb()[5 * 6 + 5]);
        assertTrue(v.take().resized());
        // A size source that does not explain the rectangle does not make it fit.
        assertThrows(OutsideSurfaceException.class,
                () -> c.update(0, 9, 1, 1, 4, XRGB, new byte[4], () -> new long[] {6, 6}));
        assertThrows(DisplayProtocolException.class,
                () -> c.update(0, 9, 1, 1, 4, XRGB, new byte[4], () -> new long[] {1L << 20, 1L << 20}));
        assertEquals(2, c.rejected());
    }

    @Test
    void pixelsAreReadFromTheirRangeOfASharedBuffer() throws Exception {
        ConsoleDisplay c = new ConsoleDisplay(0);
        c.scanout(2, 2, 8, XRGB, xrgb(2, 2, 0, 0));
        byte[] cell = xrgb(1, 1, 0, 0xabcdef);
        byte[] buf = new byte[100];
        java.util.Arrays.fill(buf, (byte) 0x55);
        System.arraycopy(cell, 0, buf, 60, 4);
        c.update(1, 0, 1, 1, 4, XRGB, buf, 60, 4, null);
        assertArrayEquals(new int[] {0, 0xabcdef, 0, 0}, c.frame().rgb());
        // a range outside the buffer, a negative offset or length, or too short for the block
        assertThrows(DisplayProtocolException.class, () -> c.update(0, 0, 1, 1, 4, XRGB, buf, 98, 4, null));
        assertThrows(DisplayProtocolException.class, () -> c.update(0, 0, 1, 1, 4, XRGB, buf, -1, 4, null));
        assertThrows(DisplayProtocolException.class, () -> c.update(0, 0, 1, 1, 4, XRGB, buf, 0, -1, null));
        assertThrows(DisplayProtocolException.class, () -> c.update(0, 0, 1, 1, 4, XRGB, buf, 60, 3, null));
        assertThrows(DisplayProtocolException.class, () -> c.scanout(2, 2, 8, XRGB, buf, Integer.MAX_VALUE, 16));
        assertEquals(5, c.rejected());
        assertArrayEquals(new int[] {0, 0xabcdef, 0, 0}, c.frame().rgb());
    }

    @Test
    void updateBeforeAnyScanoutIsRejected() {
        ConsoleDisplay c = new ConsoleDisplay(0);
        assertThrows(DisplayProtocolException.class, () -> c.update(0, 0, 1, 1, 4, XRGB, new byte[4]));
    }

    @Test
    void randomHostileInputNeverThrowsAnythingButProtocolErrors() {
        long seed = Long.getLong("fuzz.seed", 0x5eed_0006L);
        Random r = new Random(seed);
        ConsoleDisplay c = new ConsoleDisplay(0);
        long[] formats = {XRGB, PixelFormat.R5G6B5.code(), PixelFormat.R8G8B8.code(), 0, 0x20020000L, -1};
        try {
            for (int i = 0; i < 3000; i++) {
                long w = pick(r);
                long h = pick(r);
                long stride = pick(r) * (r.nextBoolean() ? 4 : 1);
                long fmt = formats[r.nextInt(formats.length)];
                byte[] data = new byte[r.nextInt(4096)];
                try {
                    if (r.nextBoolean()) {
                        c.scanout(w, h, stride, fmt, data);
                    } else {
                        c.update((int) pick(r) - 2, (int) pick(r) - 2, (int) w, (int) h, stride, fmt, data);
                    }
                } catch (DisplayProtocolException expected) {
                    // rejected and counted
                }
            }
        } catch (RuntimeException e) {
            throw new AssertionError("fuzz.seed=" + seed + " crashed the engine", e);
        }
        assertTrue(c.rejected() > 0, "fuzz.seed=" + seed);
    }

    private static long pick(Random r) {
        switch (r.nextInt(5)) {
            case 0: return r.nextInt(8);
            case 1: return r.nextInt(64);
            case 2: return 0xffffffffL - r.nextInt(4);
            case 3: return Integer.MAX_VALUE - r.nextInt(4);
            default: return r.nextInt(70000);
        }
    }

    @Test
    void cursorAndPointerAreKeptAndSignalled() throws Exception {
        ConsoleDisplay c = new ConsoleDisplay(0);
        DirtyRegion v = c.subscribe();
        v.take();
        byte[] argb = {0x01, 0x02, 0x03, (byte) 0xff, 0, 0, 0, 0};
        c.cursorDefine(2, 1, 1, 0, argb);
        c.mouseSet(10, 20, 1);
        assertTrue(v.take().cursorChanged());
        assertEquals(0xff030201, c.cursor().argb()[0]);
        assertEquals(new ConsoleDisplay.Pointer(10, 20, true), c.pointer());
    }

    @Test
    void disableEmptiesTheConsole() throws Exception {
        ConsoleDisplay c = new ConsoleDisplay(0);
        c.scanout(2, 2, 8, XRGB, xrgb(2, 2, 0, 1));
        DirtyRegion v = c.subscribe();
        v.take();
        c.disable();
        assertNull(c.frame());
        Damage d = v.take();
        assertTrue(d.resized());
        assertEquals(0, d.width());
    }

    @Test
    void aResizeWithoutScanoutIsIncompleteUntilUpdatesCoverTheNewSurface() throws Exception {
        // QEMU 7.2 after a mode switch: the placeholder's Scanout, then row Updates of a larger surface.
        ConsoleDisplay c = new ConsoleDisplay(0);
        c.scanout(4, 3, 16, XRGB, xrgb(4, 3, 0, 0x777777));
        assertTrue(c.complete());
        ConsoleDisplay.SurfaceSize now = () -> new long[] {6, 2};
        c.update(0, 0, 6, 1, 24, XRGB, xrgb(6, 1, 0, 0x111111), now);
        assertEquals(6, c.width());
        assertNull(c.completeFrame(), "row 1 still holds the placeholder's pixels");
        c.update(0, 1, 3, 1, 12, XRGB, xrgb(3, 1, 0, 0x222222), now);
        assertNull(c.completeFrame(), "half of row 1 still unknown");
        c.update(3, 1, 3, 1, 12, XRGB, xrgb(3, 1, 0, 0x222222), now);
        ConsoleDisplay.Frame f = c.completeFrame();
        assertArrayEquals(new int[] {0x111111, 0x111111, 0x111111, 0x111111, 0x111111, 0x111111,
            0x222222, 0x222222, 0x222222, 0x222222, 0x222222, 0x222222}, f.rgb());
        c.resize(2, 2);
        assertNull(c.completeFrame());
        c.scanout(2, 2, 8, XRGB, xrgb(2, 2, 0, 0x333333));
        assertTrue(c.complete(), "a Scanout sets every pixel");
    }
}
