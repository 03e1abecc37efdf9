package org.qemu.helpers.uiclient.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class PngCodecTest {
    @Test
    void pngRoundTripsEveryPixel() throws Exception {
        int w = 37;
        int h = 11;
        int[] rgb = new int[w * h];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (i * 2654435761L) > 0 ? (int) (i * 2654435761L) & 0xffffff : i;
        }
        for (boolean fast : new boolean[] {true, false}) {
            byte[] png = PngCodec.encode(new ConsoleDisplay.Frame(w, h, rgb), fast);
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
