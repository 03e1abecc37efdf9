package org.qemu.helpers.deploy.libvirt;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A screen as 0xRRGGBB pixels, so that images of different file formats compare pixel by pixel in one format:
 * {@code virsh screenshot} gives QEMU's screendump, which libvirt 9.0 asks as PNG from a QEMU that has screendump's
 * format argument (7.1 and later, so here) and as a binary PPM (P6, 8 bits a channel) from older ones; the UI client
 * and the web console's canvas give PNG (RGB, or RGBA whose alpha is dropped). All come from the same x8r8g8b8
 * surface of QEMU's VGA, so equal screens are equal to the bit.
 */
record ScreenImage(int width, int height, int[] rgb) {
    /** VGA text mode's character cell (720x400 = 80x25 cells of 9x16 pixels). */
    static final int CELL_W = 9;
    static final int CELL_H = 16;

    /** A PNG or a binary PPM, told apart by their signatures; {@link #format} says which it was. */
    static ScreenImage read(byte[] data) throws IOException {
        return format(data).equals("ppm") ? ppm(data) : png(data);
    }

    static String format(byte[] data) {
        return data.length > 2 && data[0] == 'P' && data[1] == '6' ? "ppm" : "png";
    }

    static ScreenImage png(byte[] data) throws IOException {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(data));
        if (img == null) {
            throw new IOException("not an image ImageIO reads (" + data.length + " bytes)");
        }
        int[] px = img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
        for (int i = 0; i < px.length; i++) {
            px[i] &= 0xffffff;
        }
        return new ScreenImage(img.getWidth(), img.getHeight(), px);
    }

    /** A binary PPM ("P6 W H MAXVAL" with '#' comments between the fields, MAXVAL 255, then RGB triplets). */
    static ScreenImage ppm(byte[] data) throws IOException {
        int[] pos = {0};
        String magic = token(data, pos);
        int w = Integer.parseInt(token(data, pos));
        int h = Integer.parseInt(token(data, pos));
        int max = Integer.parseInt(token(data, pos));
        if (!magic.equals("P6") || max != 255) {
            throw new IOException("not a P6 PPM with 8-bit channels: " + magic + " maxval " + max);
        }
        int p = pos[0] + 1; // one whitespace byte after maxval
        if (data.length - p < (long) w * h * 3) {
            throw new IOException("PPM " + w + "x" + h + " cut short: " + (data.length - p) + " bytes of pixels");
        }
        int[] px = new int[w * h];
        for (int i = 0; i < px.length; i++, p += 3) {
            px[i] = (data[p] & 0xff) << 16 | (data[p + 1] & 0xff) << 8 | (data[p + 2] & 0xff);
        }
        return new ScreenImage(w, h, px);
    }

    private static String token(byte[] d, int[] pos) {
        int i = pos[0];
        while (i < d.length && (Character.isWhitespace(d[i]) || d[i] == '#')) {
            if (d[i] == '#') {
                while (i < d.length && d[i] != '\n') {
                    i++;
                }
            } else {
                i++;
            }
        }
        int start = i;
        while (i < d.length && !Character.isWhitespace(d[i])) {
            i++;
        }
        pos[0] = i;
        return new String(d, start, i - start, java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Pixels that are not black (text drawn on the console's black background). */
    int lit() {
        int n = 0;
        for (int p : rgb) {
            if (p != 0) {
                n++;
            }
        }
        return n;
    }

    /** The character cells (col,row) in which this and {@code other} differ; both must have one size. */
    List<String> differingCells(ScreenImage other) {
        if (width != other.width || height != other.height) {
            throw new AssertionError("sizes differ: " + width + "x" + height + " and " + other.width + "x" + other.height);
        }
        List<String> cells = new ArrayList<>();
        for (int i = 0; i < rgb.length; i++) {
            if (rgb[i] != other.rgb[i]) {
                String cell = (i % width) / CELL_W + "," + (i / width) / CELL_H;
                if (!cells.contains(cell)) {
                    cells.add(cell);
                }
            }
        }
        return cells;
    }
}
