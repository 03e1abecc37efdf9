package org.qemu.helpers.uiclient.engine;

/**
 * The guest's pointer image from CursorDefine: {@code argb} holds width*height pixels as
 * 0xAARRGGBB, hot spot inside the image.
 */
public record CursorImage(int width, int height, int hotX, int hotY, int[] argb) {
    /** Largest cursor side accepted; QEMU's cursors are 64x64 at most, with room to spare. */
    public static final int MAX_SIDE = 512;

    /**
     * Validate CursorDefine(i width, i height, i hot_x, i hot_y, ay data) (QEMU
     * org.qemu.Display1.Listener): data is width*height native-order (little-endian) ARGB words.
     */
    public static CursorImage define(int width, int height, int hotX, int hotY, byte[] data)
            throws DisplayProtocolException {
        if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) {
            throw new DisplayProtocolException("CursorDefine: size " + width + "x" + height + " outside 1.."
                    + MAX_SIDE);
        }
        if (hotX < 0 || hotY < 0 || hotX >= width || hotY >= height) {
            throw new DisplayProtocolException("CursorDefine: hot spot " + hotX + "," + hotY + " outside the "
                    + width + "x" + height + " image");
        }
        int need = width * height * 4;
        if (data == null || data.length != need) {
            throw new DisplayProtocolException("CursorDefine: data has " + (data == null ? 0 : data.length)
                    + " bytes, " + width + "x" + height + " needs " + need);
        }
        int[] argb = new int[width * height];
        for (int i = 0, o = 0; i < argb.length; i++, o += 4) {
            argb[i] = (data[o] & 0xff) | (data[o + 1] & 0xff) << 8 | (data[o + 2] & 0xff) << 16
                    | (data[o + 3] & 0xff) << 24;
        }
        return new CursorImage(width, height, hotX, hotY, argb);
    }
}
