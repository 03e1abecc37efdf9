package org.qemu.helpers.uiclient.engine;

import java.util.Optional;

/**
 * The pixman formats QEMU's D-Bus display sends in Scanout/Update ("pixman_format").
 *
 * <p>A pixman format code is {@code bpp << 24 | type << 16 | a << 12 | r << 8 | g << 4 | b}
 * (pixman.h, PIXMAN_FORMAT). Pixels are stored as host-order words of {@code bpp} bits; QEMU and
 * this client share the host, and the hosts this suite targets (x86-64, arm64) are
 * little-endian, so words are read little-endian.
 */
public enum PixelFormat {
    X8R8G8B8(0x20020888),
    A8R8G8B8(0x20028888),
    X8B8G8R8(0x20030888),
    A8B8G8R8(0x20038888),
    B8G8R8X8(0x20080888),
    B8G8R8A8(0x20088888),
    R8G8B8X8(0x20090888),
    R8G8B8A8(0x20098888),
    R8G8B8(0x18020888),
    B8G8R8(0x18030888),
    R5G6B5(0x10020565),
    B5G6R5(0x10030565),
    X1R5G5B5(0x10020555),
    A1R5G5B5(0x10021555),
    X1B5G5R5(0x10030555),
    A1B5G5R5(0x10031555);

    /** values() clones its array at every call; this runs for every Update QEMU sends. */
    private static final PixelFormat[] ALL = values();

    private final int code;

    PixelFormat(int code) {
        this.code = code;
    }

    /** The pixman code as sent on the wire. */
    public int code() {
        return code;
    }

    /** Bytes per pixel (pixman: bpp / 8). */
    public int bytesPerPixel() {
        return (code >>> 24) / 8;
    }

    /** The format with this pixman code, if this client can decode it. */
    public static Optional<PixelFormat> of(long code) {
        return Optional.ofNullable(find(code));
    }

    /** As {@link #of}, null if unknown (no allocation: the listener's per-Update path). */
    static PixelFormat find(long code) {
        for (PixelFormat f : ALL) {
            if (f.code == code) {
                return f;
            }
        }
        return null;
    }

    /**
     * Decode one pixel at {@code off} in {@code src} to {@code 0x00RRGGBB}. The caller has checked
     * that {@code off + bytesPerPixel() <= src.length}. Alpha is ignored: the console is opaque.
     */
    public int toRgb(byte[] src, int off) {
        switch (this) {
            case X8R8G8B8:
            case A8R8G8B8:
                return (src[off] & 0xff) | (src[off + 1] & 0xff) << 8 | (src[off + 2] & 0xff) << 16;
            case X8B8G8R8:
            case A8B8G8R8:
                return (src[off + 2] & 0xff) | (src[off + 1] & 0xff) << 8 | (src[off] & 0xff) << 16;
            case B8G8R8X8:
            case B8G8R8A8:
                // word = b<<24 | g<<16 | r<<8 | x: bytes (LE) are x, r, g, b
                return (src[off + 3] & 0xff) | (src[off + 2] & 0xff) << 8 | (src[off + 1] & 0xff) << 16;
            case R8G8B8X8:
            case R8G8B8A8:
                // word = r<<24 | g<<16 | b<<8 | x: bytes (LE) are x, b, g, r
                return (src[off + 1] & 0xff) | (src[off + 2] & 0xff) << 8 | (src[off + 3] & 0xff) << 16;
            case R8G8B8:
                return (src[off] & 0xff) | (src[off + 1] & 0xff) << 8 | (src[off + 2] & 0xff) << 16;
            case B8G8R8:
                return (src[off + 2] & 0xff) | (src[off + 1] & 0xff) << 8 | (src[off] & 0xff) << 16;
            default:
                return decode16((src[off] & 0xff) | (src[off + 1] & 0xff) << 8);
        }
    }

    private int decode16(int v) {
        int r;
        int g;
        int b;
        switch (this) {
            case R5G6B5:
                r = expand5(v >>> 11 & 31);
                g = expand6(v >>> 5 & 63);
                b = expand5(v & 31);
                break;
            case B5G6R5:
                b = expand5(v >>> 11 & 31);
                g = expand6(v >>> 5 & 63);
                r = expand5(v & 31);
                break;
            case X1R5G5B5:
            case A1R5G5B5:
                r = expand5(v >>> 10 & 31);
                g = expand5(v >>> 5 & 31);
                b = expand5(v & 31);
                break;
            default: // X1B5G5R5, A1B5G5R5
                b = expand5(v >>> 10 & 31);
                g = expand5(v >>> 5 & 31);
                r = expand5(v & 31);
                break;
        }
        return r << 16 | g << 8 | b;
    }

    private static int expand5(int v) {
        return v << 3 | v >>> 2;
    }

    private static int expand6(int v) {
        return v << 2 | v >>> 4;
    }
}
