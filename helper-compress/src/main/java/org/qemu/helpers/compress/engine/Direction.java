package org.qemu.helpers.compress.engine;

/** Whether a job compresses or decompresses. */
public enum Direction {
    COMPRESS("compress"), DECOMPRESS("decompress");

    private final String wire;

    Direction(String wire) { this.wire = wire; }

    public String wire() { return wire; }
}
