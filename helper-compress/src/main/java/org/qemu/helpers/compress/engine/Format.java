package org.qemu.helpers.compress.engine;

import java.util.Arrays;
import java.util.Optional;

/** The compressed formats the helper writes and reads, with their level ranges and magic numbers. */
public enum Format {
    /** RFC 8878 3.1.1: frame magic 0xFD2FB528, little-endian. Levels as the zstd CLI (1-19, no --ultra). */
    ZSTD("zstd", 1, 19, 3, new byte[] {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD}),
    /** RFC 1952 2.3.1: ID1 ID2 = 1f 8b, CM = 8 (deflate). Levels as gzip(1). */
    GZIP("gzip", 1, 9, 6, new byte[] {0x1F, (byte) 0x8B, 0x08}),
    /** xz file format 1.1.0 2.1.1.1: header magic FD 37 7A 58 5A 00. Presets 0-9 as xz(1). */
    XZ("xz", 0, 9, 6, new byte[] {(byte) 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00}),
    /** LZ4 frame format 1.6.x: magic 0x184D2204, little-endian. Levels as lz4(1): 1-2 fast, 3-12 HC. */
    LZ4("lz4", 1, 12, 1, new byte[] {0x04, 0x22, 0x4D, 0x18});

    /** Bytes needed to recognise every format by its magic. */
    public static final int MAGIC_PROBE = 6;

    private final String wire;
    private final int minLevel;
    private final int maxLevel;
    private final int defaultLevel;
    private final byte[] magic;

    Format(String wire, int minLevel, int maxLevel, int defaultLevel, byte[] magic) {
        this.wire = wire;
        this.minLevel = minLevel;
        this.maxLevel = maxLevel;
        this.defaultLevel = defaultLevel;
        this.magic = magic;
    }

    public String wire() { return wire; }
    public int minLevel() { return minLevel; }
    public int maxLevel() { return maxLevel; }
    public int defaultLevel() { return defaultLevel; }

    /** The format named {@code name} on the bus, if any. */
    public static Optional<Format> byName(String name) {
        for (Format f : values()) {
            if (f.wire.equals(name)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /** The format whose magic number starts {@code head} (the first {@code length} bytes of a file). */
    public static Optional<Format> detect(byte[] head, int length) {
        for (Format f : values()) {
            if (length >= f.magic.length && Arrays.equals(head, 0, f.magic.length, f.magic, 0, f.magic.length)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
