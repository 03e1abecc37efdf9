package org.qemu.helpers.uiclient.engine;

/**
 * Validation of a block of pixels as QEMU sends it (width, height, stride, pixman format and the
 * bytes), shared by Scanout and Update. Everything is checked in {@code long} arithmetic before
 * any allocation or index, and bounded by constants.
 */
public final class PixelBlock {
    /** Largest width or height accepted (QEMU's own limit for a console is 16384). */
    public static final int MAX_DIMENSION = 16384;
    /** Largest pixel count of one console: 16 Mi pixels, 64 MiB as ints. */
    public static final long MAX_PIXELS = 16L * 1024 * 1024;
    /** D-Bus spec, "Valid Signatures": an array is at most 2^26 bytes (64 MiB). */
    public static final long MAX_DATA = 1L << 26;

    private PixelBlock() {
    }

    /**
     * Check one block and return its format.
     *
     * @throws DisplayProtocolException naming the first field that is wrong
     */
    public static PixelFormat check(String what, long width, long height, long stride, long format, byte[] data)
            throws DisplayProtocolException {
        if (data == null) {
            throw new DisplayProtocolException(what + ": no data");
        }
        return check(what, width, height, stride, format, data.length);
    }

    /** As {@link #check(String, long, long, long, long, byte[])} for {@code dataLength} bytes of pixels. */
    public static PixelFormat check(String what, long width, long height, long stride, long format, long dataLength)
            throws DisplayProtocolException {
        if (width < 1 || height < 1 || width > MAX_DIMENSION || height > MAX_DIMENSION) {
            throw new DisplayProtocolException(what + ": size " + width + "x" + height + " outside 1.."
                    + MAX_DIMENSION);
        }
        if (width * height > MAX_PIXELS) {
            throw new DisplayProtocolException(what + ": " + width + "x" + height + " exceeds " + MAX_PIXELS
                    + " pixels");
        }
        PixelFormat fmt = PixelFormat.find(format);
        if (fmt == null) {
            throw new DisplayProtocolException(what + ": unknown pixman format 0x" + Long.toHexString(format));
        }
        long row = width * fmt.bytesPerPixel();
        if (stride < row) {
            throw new DisplayProtocolException(what + ": stride " + stride + " smaller than a row of " + row
                    + " bytes");
        }
        if (stride > MAX_DATA) {
            throw new DisplayProtocolException(what + ": stride " + stride + " exceeds " + MAX_DATA);
        }
        long need = stride * (height - 1) + row;
        if (dataLength < need) {
            throw new DisplayProtocolException(what + ": data has " + dataLength + " bytes, " + width + "x"
                    + height + " at stride " + stride + " needs " + need);
        }
        if (dataLength > MAX_DATA) {
            throw new DisplayProtocolException(what + ": data of " + dataLength + " bytes exceeds " + MAX_DATA);
        }
        return fmt;
    }

    /**
     * Convert a checked block into {@code dst} (0x00RRGGBB ints, row length {@code dstWidth}) at
     * ({@code dx}, {@code dy}) and return the bounding box of the pixels that actually changed
     * (null if none did: QEMU re-sends unchanged cells, e.g. a hidden text cursor's, at its refresh
     * rate). The pixels start at {@code data[offset]}. The caller has checked the block with
     * {@link #check} and that it fits inside {@code dst}.
     */
    static Rect convert(PixelFormat fmt, int width, int height, int stride, byte[] data, int offset,
                        int[] dst, int dstWidth, int dx, int dy) {
        int bpp = fmt.bytesPerPixel();
        boolean fast = fmt == PixelFormat.X8R8G8B8 || fmt == PixelFormat.A8R8G8B8;
        int minX = Integer.MAX_VALUE;
        int minY = Integer.MAX_VALUE;
        int maxX = -1;
        int maxY = -1;
        for (int row = 0; row < height; row++) {
            int src = offset + row * stride;
            int out = (dy + row) * dstWidth + dx;
            int first = -1;
            int last = -1;
            for (int col = 0; col < width; col++, src += bpp) {
                // x8r8g8b8, the format QEMU sends in practice, is decoded inline
                int v = fast ? (data[src] & 0xff) | (data[src + 1] & 0xff) << 8 | (data[src + 2] & 0xff) << 16
                        : fmt.toRgb(data, src);
                if (dst[out + col] != v) {
                    dst[out + col] = v;
                    if (first < 0) {
                        first = col;
                    }
                    last = col;
                }
            }
            if (first >= 0) {
                minX = Math.min(minX, first);
                maxX = Math.max(maxX, last);
                minY = Math.min(minY, row);
                maxY = row;
            }
        }
        return maxX < 0 ? null : new Rect(dx + minX, dy + minY, maxX - minX + 1, maxY - minY + 1);
    }
}
