package org.qemu.helpers.tpmstub;

import java.util.HexFormat;

/** Hex helpers for tests: spaces allowed; the size field of a command is fixed up by {@link #cmd}. */
public final class Hex {
    private Hex() { }

    public static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }

    /** Deletes a temporary directory tree (best effort). */
    public static void deleteTree(java.nio.file.Path dir) throws java.io.IOException {
        try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    public static String str(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** A command from hex with its commandSize field (bytes 2-5) set to the real length. */
    public static byte[] cmd(String hex) {
        byte[] b = bytes(hex);
        int n = b.length;
        b[2] = (byte) (n >>> 24);
        b[3] = (byte) (n >>> 16);
        b[4] = (byte) (n >>> 8);
        b[5] = (byte) n;
        return b;
    }
}
