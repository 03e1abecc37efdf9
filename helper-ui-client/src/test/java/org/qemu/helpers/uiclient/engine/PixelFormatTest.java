package org.qemu.helpers.uiclient.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PixelFormatTest {
    @Test
    void codesFollowPixmanFormatMacro() {
        // PIXMAN_FORMAT(bpp, type, a, r, g, b) with PIXMAN_TYPE_ARGB = 2, ABGR = 3, BGRA = 8, RGBA = 9
        assertEquals(fmt(32, 2, 0, 8, 8, 8), PixelFormat.X8R8G8B8.code());
        assertEquals(0x20020888, PixelFormat.X8R8G8B8.code(), "seen from QEMU 7.2 -vga std");
        assertEquals(fmt(32, 3, 8, 8, 8, 8), PixelFormat.A8B8G8R8.code());
        assertEquals(fmt(32, 8, 0, 8, 8, 8), PixelFormat.B8G8R8X8.code());
        assertEquals(fmt(32, 9, 8, 8, 8, 8), PixelFormat.R8G8B8A8.code());
        assertEquals(fmt(24, 2, 0, 8, 8, 8), PixelFormat.R8G8B8.code());
        assertEquals(fmt(16, 2, 0, 5, 6, 5), PixelFormat.R5G6B5.code());
        assertEquals(fmt(16, 2, 0, 5, 5, 5), PixelFormat.X1R5G5B5.code());
        assertEquals(fmt(16, 3, 1, 5, 5, 5), PixelFormat.A1B5G5R5.code());
        assertTrue(PixelFormat.of(0x20020889L).isEmpty());
    }

    private static int fmt(int bpp, int type, int a, int r, int g, int b) {
        return bpp << 24 | type << 16 | a << 12 | r << 8 | g << 4 | b;
    }

    @Test
    void eachFormatDecodesTheSameOrange() {
        int want = 0xff8000; // r=ff g=80 b=00, exact in every depth below
        assertEquals(want, PixelFormat.X8R8G8B8.toRgb(le32(0xffff8000), 0));
        assertEquals(want, PixelFormat.A8B8G8R8.toRgb(le32(0xff0080ff), 0));
        assertEquals(want, PixelFormat.B8G8R8X8.toRgb(le32(0x0080ff00), 0));
        assertEquals(want, PixelFormat.R8G8B8X8.toRgb(le32(0xff800000), 0));
        assertEquals(want, PixelFormat.R8G8B8.toRgb(new byte[] {0x00, (byte) 0x80, (byte) 0xff}, 0));
        assertEquals(want, PixelFormat.B8G8R8.toRgb(new byte[] {(byte) 0xff, (byte) 0x80, 0x00}, 0));
        // 16 bpp: pure red, full green and blue expand to 0xff
        assertEquals(0xff0000, PixelFormat.R5G6B5.toRgb(le16(0xf800), 0));
        assertEquals(0x00ff00, PixelFormat.R5G6B5.toRgb(le16(0x07e0), 0));
        assertEquals(0x0000ff, PixelFormat.B5G6R5.toRgb(le16(0xf800), 0));
        assertEquals(0xff0000, PixelFormat.X1R5G5B5.toRgb(le16(0x7c00), 0));
        assertEquals(0x0000ff, PixelFormat.X1B5G5R5.toRgb(le16(0x7c00), 0));
        assertEquals(0x00ff00, PixelFormat.A1R5G5B5.toRgb(le16(0x83e0), 0));
    }

    private static byte[] le32(int v) {
        return new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
    }

    private static byte[] le16(int v) {
        return new byte[] {(byte) v, (byte) (v >> 8)};
    }

    @Test
    void sixteenBitScanoutConvertsWholeFrame() throws Exception {
        ConsoleDisplay c = new ConsoleDisplay(1);
        byte[] data = {0x00, (byte) 0xf8, (byte) 0xe0, 0x07, 0x1f, 0x00, 0, 0};
        c.scanout(3, 1, 8, PixelFormat.R5G6B5.code(), data);
        int[] px = c.frame().rgb();
        assertEquals(0xff0000, px[0]);
        assertEquals(0x00ff00, px[1]);
        assertEquals(0x0000ff, px[2]);
    }
}
