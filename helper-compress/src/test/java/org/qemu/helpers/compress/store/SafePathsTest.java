package org.qemu.helpers.compress.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qemu.helpers.compress.TestFiles;
import org.qemu.helpers.compress.engine.Direction;
import org.qemu.helpers.compress.engine.Format;
import org.qemu.helpers.compress.engine.JobSpec;
import org.qemu.helpers.compress.engine.Progress;
import org.qemu.helpers.compress.engine.Refusal;
import org.qemu.helpers.compress.engine.Refusal.Kind;

/** Every path refusal, each proven to write nothing, and the temp-file/rename life of a job. */
class SafePathsTest {
    @TempDir
    Path tmp;
    Path root;
    Path outside;
    Path state;
    SafeRoots roots;
    TempJournal journal;
    static final JobSpec ZSTD = new JobSpec(Direction.COMPRESS, Format.ZSTD, 3, 1, false);

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectories(tmp.resolve("root")).toRealPath();
        outside = Files.createDirectories(tmp.resolve("outside")).toRealPath();
        state = Files.createDirectories(tmp.resolve("state"));
        Files.createDirectories(root.resolve("real"));
        Files.write(root.resolve("real/f"), TestFiles.mixed(100_000, 1));
        Files.writeString(outside.resolve("secret"), "secret");
        Files.createSymbolicLink(root.resolve("linkdir"), root.resolve("real"));
        Files.createSymbolicLink(root.resolve("linkfile"), root.resolve("real/f"));
        Files.createSymbolicLink(root.resolve("real/escape"), outside.resolve("new"));
        Files.createSymbolicLink(root.resolve("real/secretlink"), outside.resolve("secret"));
        roots = SafeRoots.of(List.of(root), anonymousTemps());
        journal = new TempJournal(state);
    }

    /** Outputs as O_TMPFILE inodes (the default); {@link NamedTempsTest} runs every test with named temporaries. */
    boolean anonymousTemps() {
        return true;
    }

    /** Every file and link under the test directory with its content or target. */
    Map<String, String> snapshot() throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(tmp)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String v = Files.isSymbolicLink(p) ? "-> " + Files.readSymbolicLink(p)
                        : Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                        ? Files.size(p) + ":" + java.util.Arrays.hashCode(Files.readAllBytes(p)) : "dir";
                m.put(tmp.relativize(p).toString(), v);
            }
        }
        return m;
    }

    void refusedWritingNothing(Kind kind, String source, String destination, boolean overwrite) throws IOException {
        Map<String, String> before = snapshot();
        JobSpec spec = new JobSpec(Direction.COMPRESS, Format.ZSTD, 3, 1, overwrite);
        Refusal r = assertThrows(Refusal.class, () -> FileJob.open(spec, roots, source, destination, journal),
                source + " -> " + destination);
        assertEquals(kind, r.kind(), r.getMessage());
        assertEquals(before, snapshot(), "a refusal writes nothing");
    }

    @Test
    void dotDotEscapesAndRelativePathsAreRefused() throws IOException {
        refusedWritingNothing(Kind.BAD_PATH, root + "/real/../../outside/secret", root + "/o.zst", false);
        refusedWritingNothing(Kind.BAD_PATH, root + "/real/f", root + "/real/../../outside/o.zst", false);
        refusedWritingNothing(Kind.BAD_PATH, root + "/real/./f", root + "/o.zst", false);
        refusedWritingNothing(Kind.BAD_PATH, "real/f", root + "/o.zst", false);
        refusedWritingNothing(Kind.BAD_PATH, "", root + "/o.zst", false);
    }

    @Test
    void aSymlinkInADirectoryOfThePathIsRefused() throws IOException {
        refusedWritingNothing(Kind.SYMLINK, root + "/linkdir/f", root + "/o.zst", false);
        refusedWritingNothing(Kind.SYMLINK, root + "/real/f", root + "/linkdir/o.zst", false);
    }

    @Test
    void aSymlinkAsSourceOrDestinationIsRefused() throws IOException {
        refusedWritingNothing(Kind.SYMLINK, root + "/linkfile", root + "/o.zst", false);
        refusedWritingNothing(Kind.SYMLINK, root + "/real/secretlink", root + "/o.zst", false);
        refusedWritingNothing(Kind.SYMLINK, root + "/real/f", root + "/real/escape", true);
        refusedWritingNothing(Kind.SYMLINK, root + "/real/f", root + "/real/secretlink", true);
        assertEquals("secret", Files.readString(outside.resolve("secret")));
        assertFalse(Files.exists(outside.resolve("new")));
    }

    @Test
    void aDestinationOrSourceOutsideEveryRootIsRefused() throws IOException {
        refusedWritingNothing(Kind.OUTSIDE_ROOTS, root + "/real/f", outside + "/o.zst", false);
        refusedWritingNothing(Kind.OUTSIDE_ROOTS, outside + "/secret", root + "/o.zst", false);
        refusedWritingNothing(Kind.OUTSIDE_ROOTS, root + "/real/f", root.toString(), true);
        refusedWritingNothing(Kind.OUTSIDE_ROOTS, root + "/real/f", "/etc/o.zst", false);
    }

    @Test
    void anExistingDestinationIsKeptWithoutOverwrite() throws IOException {
        Files.writeString(root.resolve("real/existing"), "keep me");
        refusedWritingNothing(Kind.EXISTS, root + "/real/f", root + "/real/existing", false);
        assertEquals("keep me", Files.readString(root.resolve("real/existing")));
    }

    @Test
    void sourceAndDestinationMustDiffer() throws IOException {
        refusedWritingNothing(Kind.SAME_FILE, root + "/real/f", root + "/real/f", true);
        Files.createLink(root.resolve("real/hard"), root.resolve("real/f"));
        refusedWritingNothing(Kind.SAME_FILE, root + "/real/f", root + "/real/hard", true);
    }

    @Test
    void missingFilesDirectoriesAndFifosAreRefused() throws Exception {
        refusedWritingNothing(Kind.NOT_FOUND, root + "/real/nope", root + "/o.zst", false);
        refusedWritingNothing(Kind.NOT_FOUND, root + "/real/f", root + "/nodir/o.zst", false);
        refusedWritingNothing(Kind.NOT_REGULAR_FILE, root + "/real", root + "/o.zst", false);
        assertEquals(0, TestFiles.run(null, null, "mkfifo", root.resolve("real/fifo").toString()));
        refusedWritingNothing(Kind.NOT_REGULAR_FILE, root + "/real/fifo", root + "/o.zst", false);
        refusedWritingNothing(Kind.NOT_REGULAR_FILE, root + "/real/f", root + "/real", true);
    }

    @Test
    void aJobWritesThroughATempFileAndRenamesItLeavingNoTemp() throws Exception {
        FileJob job = FileJob.open(ZSTD, roots, root + "/real/f", root + "/real/f.zst", journal);
        Progress p = new Progress();
        job.run(p);
        assertTrue(Files.isRegularFile(root.resolve("real/f.zst")));
        assertEquals(Files.size(root.resolve("real/f")), p.bytesIn());
        assertEquals(Files.size(root.resolve("real/f.zst")), p.bytesOut());
        assertEquals(p.totalBytes(), p.bytesIn());
        assertNoTemps();
        Path back = root.resolve("real/back");
        FileJob.open(new JobSpec(Direction.DECOMPRESS, null, 0, 1, false), roots, root + "/real/f.zst",
                back.toString(), journal).run(new Progress());
        assertArrayEquals(Files.readAllBytes(root.resolve("real/f")), Files.readAllBytes(back));
        // overwrite=true replaces the file atomically
        Files.writeString(back, "old");
        FileJob.open(new JobSpec(Direction.DECOMPRESS, Format.ZSTD, 0, 1, true), roots, root + "/real/f.zst",
                back.toString(), journal).run(new Progress());
        assertArrayEquals(Files.readAllBytes(root.resolve("real/f")), Files.readAllBytes(back));
        assertNoTemps();
    }

    @Test
    void aFailedOrCancelledJobLeavesNoDestinationAndNoTemp() throws Exception {
        Files.writeString(root.resolve("real/notzstd"), "plain text");
        FileJob bad = FileJob.open(new JobSpec(Direction.DECOMPRESS, Format.ZSTD, 0, 1, false), roots,
                root + "/real/notzstd", root + "/real/out", journal);
        assertThrows(IOException.class, () -> bad.run(new Progress()));
        FileJob cancelled = FileJob.open(ZSTD, roots, root + "/real/f", root + "/real/out", journal);
        Progress p = new Progress();
        p.cancel();
        assertThrows(IOException.class, () -> cancelled.run(p));
        assertFalse(Files.exists(root.resolve("real/out")));
        assertNoTemps();
    }

    @Test
    void aDirectorySwappedForASymlinkAfterSubmitIsNotWrittenThrough() throws Exception {
        Files.createDirectories(root.resolve("d"));
        FileJob job = FileJob.open(ZSTD, roots, root + "/real/f", root + "/d/o.zst", journal);
        Files.move(root.resolve("d"), root.resolve("moved"));
        Files.createSymbolicLink(root.resolve("d"), outside);
        assertThrows(IOException.class, () -> job.run(new Progress()));
        try (Stream<Path> s = Files.list(outside)) {
            assertEquals(List.of(outside.resolve("secret")), s.toList(), "nothing written through the symlink");
        }
        try (Stream<Path> s = Files.list(root.resolve("moved"))) {
            assertEquals(0, s.count(), "the temp in the moved directory was removed");
        }
    }

    @Test
    void aDirectoryMovedAwayDuringTheJobIsNotWrittenTo() throws Exception {
        Files.createDirectories(root.resolve("d"));
        FileJob job = FileJob.open(ZSTD, roots, root + "/real/f", root + "/d/o.zst", journal);
        Files.move(root.resolve("d"), outside.resolve("d"));
        Files.createDirectories(root.resolve("d"));
        assertThrows(IOException.class, () -> job.run(new Progress()));
        try (Stream<Path> s = Files.list(outside.resolve("d"))) {
            assertEquals(0, s.count(), "the directory moved outside the root got nothing");
        }
        try (Stream<Path> s = Files.list(root.resolve("d"))) {
            assertEquals(0, s.count(), "its replacement got nothing either: it is another directory");
        }
        assertNoTemps();
    }

    @Test
    void aDestinationThatAppearsDuringTheJobIsKept() throws Exception {
        FileJob job = FileJob.open(ZSTD, roots, root + "/real/f", root + "/real/new.zst", journal);
        Files.writeString(root.resolve("real/new.zst"), "someone else's");
        assertThrows(IOException.class, () -> job.run(new Progress()));
        assertEquals("someone else's", Files.readString(root.resolve("real/new.zst")));
        assertNoTemps();
    }

    @Test
    void aRootThatIsNotADirectoryOrMissingIsRefusedAtStart() {
        assertThrows(IOException.class, () -> SafeRoots.of(List.of(root.resolve("real/f"))));
        assertThrows(IOException.class, () -> SafeRoots.of(List.of(root.resolve("missing"))));
    }

    @Test
    void staleTempFilesFromTheJournalAreCleanedAndNothingElse() throws Exception {
        Path temp = root.resolve("real/.helper-compress-0123456789abcdef.tmp");
        Files.writeString(temp, "half written");
        journal.record(temp);
        journal.record(root.resolve("real/f")); // not a temp name: must never be deleted
        journal.record(outside.resolve(".helper-compress-0123456789abcdef.tmp"));
        Files.writeString(outside.resolve(".helper-compress-0123456789abcdef.tmp"), "outside");
        List<Path> removed = new TempJournal(state).cleanStale(roots);
        assertEquals(List.of(temp), removed);
        assertFalse(Files.exists(temp));
        assertTrue(Files.exists(root.resolve("real/f")));
        assertTrue(Files.exists(outside.resolve(".helper-compress-0123456789abcdef.tmp")));
        try (Stream<Path> s = Files.list(state.resolve("temp-journal"))) {
            assertEquals(0, s.count());
        }
    }

    void assertNoTemps() throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().contains("helper-compress")).toList());
        }
        try (Stream<Path> s = Files.list(state.resolve("temp-journal"))) {
            assertEquals(0, s.count(), "journal entries are forgotten");
        }
    }
}
