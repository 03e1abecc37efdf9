package org.qemu.helpers.compress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/** Test inputs and real command-line peers (zstd, gzip, pigz, xz, lz4), each run with a timeout. */
public final class TestFiles {
    private TestFiles() { }

    /**
     * Deterministic mixed content like a VM image: runs of a real binary, text, zeros and random bytes
     * (seeded), so every codec sees compressible and incompressible stretches.
     */
    public static byte[] mixed(int size, long seed) throws IOException {
        byte[] out = new byte[size];
        Random r = new Random(seed);
        byte[] binary = Files.readAllBytes(Path.of("/bin/bash"));
        byte[] text = Files.readString(Path.of("/etc/services")).getBytes();
        int pos = 0;
        while (pos < size) {
            int len = Math.min(size - pos, 1 + r.nextInt(200_000));
            switch (r.nextInt(4)) {
                case 0 -> {
                    int from = r.nextInt(Math.max(1, binary.length - len));
                    System.arraycopy(binary, from, out, pos, Math.min(len, binary.length - from));
                }
                case 1 -> {
                    for (int i = 0; i < len; i++) {
                        out[pos + i] = text[(i + pos) % text.length];
                    }
                }
                case 2 -> { /* zeros */ }
                default -> {
                    byte[] rnd = new byte[len];
                    r.nextBytes(rnd);
                    System.arraycopy(rnd, 0, out, pos, len);
                }
            }
            pos += len;
        }
        return out;
    }

    /** Fails naming the Debian package when a tool the test needs is missing. */
    public static void require(String tool, String debianPackage) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return;
            }
        }
        throw new AssertionError("'" + tool + "' is not installed: apt-get install -y " + debianPackage);
    }

    /** Runs {@code cmd} with stdin from {@code in} and stdout to {@code out}; returns the exit code. */
    public static int run(Path in, Path out, String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("timeout", "-s", "KILL", "120"));
        c.addAll(List.of(cmd));
        ProcessBuilder pb = new ProcessBuilder(c).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.redirectInput(in == null ? ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())
                : ProcessBuilder.Redirect.from(in.toFile()));
        pb.redirectOutput(out == null ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.to(out.toFile()));
        Process p = pb.start();
        if (!p.waitFor(130, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", cmd));
        }
        return p.exitValue();
    }
}
