package org.qemu.helpers.compress.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qemu.helpers.compress.TestFiles;

/** Every format against its real command-line tool, both ways, at 0 B, 1 B and a few MiB. */
class CodecInteropTest {
    static final int[] SIZES = {0, 1, 3 * 1024 * 1024 + 12345};
    static final Map<Format, String[]> CLI_DECOMPRESS = Map.of(
            Format.ZSTD, new String[] {"zstd", "-d", "-q", "-c"},
            Format.GZIP, new String[] {"gzip", "-d", "-c"},
            Format.XZ, new String[] {"xz", "-d", "-c"},
            Format.LZ4, new String[] {"lz4", "-d", "-q", "-c"});
    static final Map<Format, String[]> CLI_COMPRESS = Map.of(
            Format.ZSTD, new String[] {"zstd", "-3", "-T2", "-q", "-c"},
            Format.GZIP, new String[] {"gzip", "-6", "-c"},
            Format.XZ, new String[] {"xz", "-6", "-T2", "-c"},
            Format.LZ4, new String[] {"lz4", "-1", "-q", "-c"});

    @TempDir
    Path dir;

    @BeforeAll
    static void tools() {
        TestFiles.require("zstd", "zstd");
        TestFiles.require("gzip", "gzip");
        TestFiles.require("pigz", "pigz");
        TestFiles.require("xz", "xz-utils");
        TestFiles.require("lz4", "lz4");
    }

    static Stream<Arguments> cases() {
        return Arrays.stream(Format.values()).flatMap(f -> Arrays.stream(SIZES).boxed()
                .flatMap(s -> Stream.of(Arguments.of(f, s, 1), Arguments.of(f, s, 2))));
    }

    static byte[] compress(Format f, byte[] data, int level, int workers) throws IOException {
        return transcode(new JobSpec(Direction.COMPRESS, f, level, workers, false), f, data);
    }

    static byte[] decompress(Format f, byte[] data) throws IOException {
        return transcode(new JobSpec(Direction.DECOMPRESS, f, 0, 1, false), f, data);
    }

    static byte[] transcode(JobSpec spec, Format f, byte[] data) throws IOException {
        Progress p = new Progress();
        java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream();
        try (CountingInputStream in = new CountingInputStream(new ByteArrayInputStream(data), p);
             OutputStream out = new CountingOutputStream(bo, p)) {
            Transcoder.run(spec, f, in, out, p);
        }
        assertEquals(data.length, p.bytesIn(), "BytesIn counts every input byte");
        assertEquals(bo.size(), p.bytesOut(), "BytesOut counts every output byte");
        return bo.toByteArray();
    }

    @ParameterizedTest(name = "{0} {1} B, {2} workers")
    @MethodSource("cases")
    void helperOutputDecompressesWithTheCliToTheExactInput(Format f, int size, int workers) throws Exception {
        byte[] data = TestFiles.mixed(size, 42 + size);
        byte[] packed = compress(f, data, f.defaultLevel(), workers);
        Path c = dir.resolve("in." + f.wire());
        Path d = dir.resolve("out");
        Files.write(c, packed);
        assertEquals(0, TestFiles.run(c, d, CLI_DECOMPRESS.get(f)), f + " CLI exit code");
        assertArrayEquals(data, Files.readAllBytes(d));
        if (f == Format.ZSTD && size > 0) {
            // zstd -lv reports "Check: XXH64" when the content checksum is present.
            Path info = dir.resolve("info");
            TestFiles.run(null, info, "zstd", "-lv", c.toString());
            assertTrue(Files.readString(info).contains("XXH64"), Files.readString(info));
        }
    }

    @ParameterizedTest(name = "{0} {1} B")
    @MethodSource("cliCases")
    void helperDecompressesWhatTheCliMade(Format f, int size) throws Exception {
        byte[] data = TestFiles.mixed(size, 7 + size);
        Path in = dir.resolve("in");
        Path c = dir.resolve("in.c");
        Files.write(in, data);
        assertEquals(0, TestFiles.run(in, c, CLI_COMPRESS.get(f)));
        assertArrayEquals(data, decompress(f, Files.readAllBytes(c)));
    }

    static Stream<Arguments> cliCases() {
        return Arrays.stream(Format.values()).flatMap(f -> Arrays.stream(SIZES).mapToObj(s -> Arguments.of(f, s)));
    }

    @Test
    void pigzOutputAndConcatenatedGzipMembersDecompress() throws Exception {
        byte[] a = TestFiles.mixed(2_000_000, 1);
        byte[] b = TestFiles.mixed(300_000, 2);
        Path in = dir.resolve("a");
        Files.write(in, a);
        Path pz = dir.resolve("a.gz");
        assertEquals(0, TestFiles.run(in, pz, "pigz", "-6", "-p2", "-c"));
        assertArrayEquals(a, decompress(Format.GZIP, Files.readAllBytes(pz)));
        byte[] both = concat(Files.readAllBytes(pz), compress(Format.GZIP, b, 6, 2));
        assertArrayEquals(concat(a, b), decompress(Format.GZIP, both));
    }

    @Test
    void cliVariantsWithHeaderFieldsAndOtherBlockModesDecompress() throws Exception {
        byte[] data = TestFiles.mixed(1_200_000, 12);
        Path in = dir.resolve("named-file");
        Files.write(in, data);
        String[][] variants = {
            {"gzip", "gzip", "-c", "-N", in.toString()},            // FNAME field in the header
            {"gzip", "pigz", "-c", "-p2", "-b", "64", in.toString()},
            {"lz4", "lz4", "-q", "-c", "-BD", "--content-size", in.toString()}, // linked blocks, content size
            {"lz4", "lz4", "-q", "-c", "-B4", "-BX", in.toString()},  // 64 KiB blocks with block checksums
            {"xz", "xz", "-c", "--check=sha256", in.toString()},
            {"zstd", "zstd", "-q", "-c", "--no-check", "-19", in.toString()},
        };
        for (String[] v : variants) {
            Path out = dir.resolve("v");
            assertEquals(0, TestFiles.run(null, out, Arrays.copyOfRange(v, 1, v.length)), String.join(" ", v));
            assertArrayEquals(data, decompress(Format.byName(v[0]).orElseThrow(), Files.readAllBytes(out)),
                    String.join(" ", v));
        }
    }

    @Test
    void concatenatedStreamsOfEveryFormatDecompressWhole() throws Exception {
        byte[] a = TestFiles.mixed(500_000, 3);
        byte[] b = TestFiles.mixed(70_000, 4);
        for (Format f : Format.values()) {
            byte[] both = concat(compress(f, a, f.defaultLevel(), 1), compress(f, b, f.defaultLevel(), 2));
            assertArrayEquals(concat(a, b), decompress(f, both), f.wire());
        }
    }

    @Test
    void parallelGzipIsOneMemberThatGzipTestAccepts() throws Exception {
        byte[] data = TestFiles.mixed(1_500_000, 9);
        Path c = dir.resolve("p.gz");
        Files.write(c, compress(Format.GZIP, data, 6, 2));
        assertEquals(0, TestFiles.run(null, null, "gzip", "-t", c.toString()));
        Path list = dir.resolve("list");
        TestFiles.run(null, list, "gzip", "-l", c.toString());
        assertTrue(Files.readString(list).contains(String.valueOf(data.length)), Files.readString(list));
    }

    @Test
    void everyLevelRoundTrips() throws Exception {
        byte[] data = TestFiles.mixed(200_000, 11);
        for (Format f : Format.values()) {
            for (int level = f.minLevel(); level <= f.maxLevel(); level++) {
                if (f == Format.XZ && level > 7) {
                    continue; // presets 8-9 allocate 300-700 MiB per encoder; covered by the CLI range check
                }
                assertArrayEquals(data, decompress(f, compress(f, data, level, 1)), f + " level " + level);
            }
        }
    }

    @Test
    void corruptAndTruncatedInputFailsWithCorruptInput() throws Exception {
        byte[] data = TestFiles.mixed(400_000, 5);
        for (Format f : Format.values()) {
            byte[] packed = compress(f, data, f.defaultLevel(), 1);
            byte[] truncated = Arrays.copyOf(packed, packed.length / 2);
            assertThrows(CorruptInput.class, () -> decompress(f, truncated), f + " truncated");
            byte[] flipped = packed.clone();
            flipped[packed.length - 2] ^= 0x55; // inside the trailer checksum
            assertThrows(CorruptInput.class, () -> decompress(f, flipped), f + " bad checksum");
        }
    }

    @Test
    void autoDetectsEachFormatByMagic() throws Exception {
        byte[] data = {1, 2, 3};
        for (Format f : Format.values()) {
            byte[] packed = compress(f, data, f.defaultLevel(), 1);
            assertEquals(f, Transcoder.resolveDecompressFormat(null, packed, Math.min(6, packed.length)));
        }
        assertThrows(CorruptInput.class, () -> Transcoder.resolveDecompressFormat(null, data, 3));
        assertThrows(CorruptInput.class, () -> Transcoder.resolveDecompressFormat(null, data, 0));
        byte[] gz = compress(Format.GZIP, data, 6, 1);
        assertThrows(CorruptInput.class, () -> Transcoder.resolveDecompressFormat(Format.XZ, gz, 6));
    }

    @Test
    void cancelStopsACodecMidStream() throws Exception {
        byte[] data = TestFiles.mixed(16_000_000, 6);
        for (Format f : Format.values()) {
            Progress p = new Progress();
            // The canceller: once 2 MiB have been read, the job is cancelled, as a bus Cancel() would.
            java.io.InputStream source = new java.io.FilterInputStream(new ByteArrayInputStream(data)) {
                long seen;

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if ((seen += len) > 2_000_000) {
                        p.cancel();
                    }
                    return super.read(b, off, len);
                }
            };
            JobSpec spec = new JobSpec(Direction.COMPRESS, f, f == Format.XZ ? 0 : f.defaultLevel(), 2, false);
            assertThrows(Cancelled.class, () -> Transcoder.run(spec, f, new CountingInputStream(source, p),
                    new CountingOutputStream(OutputStream.nullOutputStream(), p), p), f.wire());
            assertTrue(p.bytesIn() < data.length, f + " stopped before the end");
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
