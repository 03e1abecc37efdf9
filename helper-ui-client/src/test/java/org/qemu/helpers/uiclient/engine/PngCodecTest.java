package org.qemu.helpers.uiclient.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class PngCodecTest {
    @Test
    void fastEncoderIsMuchFasterOnAConsoleSizedTextFrame() {
        int w = 720;
        int h = 400;
        int[] rgb = new int[w * h];
        java.util.Random r = new java.util.Random(6);
        for (int cell = 0; cell < 80 * 25; cell++) { // glyph-like noise in 9x16 cells
            int cx = (cell % 80) * 9;
            int cy = (cell / 80) * 16;
            for (int k = 0; k < 30; k++) {
                rgb[(cy + r.nextInt(16)) * w + cx + r.nextInt(9)] = 0xaaaaaa;
            }
        }
        ConsoleDisplay.Frame f = new ConsoleDisplay.Frame(w, h, rgb);
        for (int i = 0; i < 3; i++) { // warm up both
            FastPng.encode(f);
            PngCodec.encode(f, true);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            FastPng.encode(f);
        }
        long fast = System.nanoTime() - t0;
        t0 = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            PngCodec.encode(f, true);
        }
        long imageio = System.nanoTime() - t0;
        System.out.printf("720x400 text frame: FastPng %.1f ms, ImageIO %.1f ms, sizes %d / %d bytes%n",
                fast / 5e6, imageio / 5e6, FastPng.encode(f).length, PngCodec.encode(f, true).length);
        assertTrue(fast < imageio, "FastPng " + fast / 5e6 + " ms vs ImageIO " + imageio / 5e6 + " ms");
    }

    @Test
    void pngRoundTripsEveryPixel() throws Exception {
        int w = 37;
        int h = 11;
        int[] rgb = new int[w * h];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (i * 2654435761L) > 0 ? (int) (i * 2654435761L) & 0xffffff : i;
        }
        ConsoleDisplay.Frame frame = new ConsoleDisplay.Frame(w, h, rgb);
        for (byte[] png : new byte[][] {PngCodec.encode(frame, true), PngCodec.encode(frame, false),
                FastPng.encode(frame)}) {
            assertEquals((byte) 0x89, png[0]);
            assertEquals('P', png[1]);
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
            assertEquals(w, img.getWidth());
            assertEquals(h, img.getHeight());
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    assertEquals(rgb[y * w + x], img.getRGB(x, y) & 0xffffff, "pixel " + x + "," + y);
                }
            }
        }
    }
}
