package org.qemu.helpers.uiclient.engine;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.awt.image.DirectColorModel;
import java.awt.image.Raster;
import java.awt.image.SinglePixelPackedSampleModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** PNG encoding of frames (javax.imageio), with a fast deflate level for live pushes. */
public final class PngCodec {
    static {
        System.setProperty("java.awt.headless", "true");
        ImageIO.setUseCache(false);
    }

    private PngCodec() {
    }

    /** Encode 0x00RRGGBB pixels as an 8-bit RGB PNG; {@code fast} trades size for speed. */
    public static byte[] encode(ConsoleDisplay.Frame f, boolean fast) {
        BufferedImage img = image(f);
        ImageWriter w = ImageIO.getImageWritersByFormatName("png").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(1024, f.rgb().length / 4));
        try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            w.setOutput(ios);
            ImageWriteParam p = w.getDefaultWriteParam();
            if (fast && p.canWriteCompressed()) {
                p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                p.setCompressionQuality(0.8f); // JDK PNG writer: deflate level = 9 * (1 - quality)
            }
            w.write(null, new IIOImage(img, null, null), p);
        } catch (IOException e) {
            throw new UncheckedIOException("PNG encoding into memory failed", e);
        } finally {
            w.dispose();
        }
        return out.toByteArray();
    }

    /** Encode 0xAARRGGBB pixels (a pointer image) as an RGBA PNG. */
    public static byte[] encodeArgb(int width, int height, int[] argb) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, width, height, argb, 0, width);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException("PNG encoding into memory failed", e);
        }
        return out.toByteArray();
    }

    /** A BufferedImage sharing the frame's pixel array (no copy). */
    public static BufferedImage image(ConsoleDisplay.Frame f) {
        DirectColorModel cm = new DirectColorModel(24, 0xff0000, 0xff00, 0xff);
        DataBufferInt buf = new DataBufferInt(f.rgb(), f.rgb().length);
        SinglePixelPackedSampleModel sm = new SinglePixelPackedSampleModel(
                buf.getDataType(), f.width(), f.height(), cm.getMasks());
        WritableRaster raster = Raster.createWritableRaster(sm, buf, null);
        return new BufferedImage(cm, raster, false, null);
    }
}
