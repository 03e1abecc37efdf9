package org.qemu.helpers.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A helper's static AppCDS archive (JEP 310): the classes its start-up loads, JDK ones included,
 * parsed, verified and laid out once, then memory-mapped at every start. A run without a fresh
 * archive records the classes it loads ({@code -XX:DumpLoadedClassList}); {@link #markStarted}
 * keeps the part of that list loaded up to "ready", and {@link #build} turns it into the archive
 * with {@code java -Xshare:dump}, for the next start. Only start-up classes: the JVM relocates
 * the whole archive at every start (every page of it resident), so classes loaded later (the UI
 * client's JSON once a browser looked, say) would cost idle RSS in every later run.
 * <p>
 * Why static rather than JDK 17's dynamic archive ({@code -XX:ArchiveClassesAtExit}): a dynamic
 * archive sits on top of the JDK's default one (about 1,300 classes, most of which a helper never
 * uses, all relocated and so resident), and it cannot hold picocli's Java 5 class files; the
 * static archive holds exactly the helper's classes, picocli's included. Measured with
 * deploy/bench/startup.sh (tpm-stub, median of 5): no archive 741 ms / 51.1 MiB, dynamic 425 ms /
 * 50.2 MiB, static 369 ms / 48.4 MiB.
 */
final class CdsArchive {
    private static final long DUMP_TIMEOUT_SECONDS = 120;

    private final Path jar;
    private final Path archive;
    private final Path classList;
    private final Path startList;

    CdsArchive(Path jar, Path archive) {
        this.jar = jar;
        this.archive = archive;
        this.classList = archive.resolveSibling(archive.getFileName() + ".classlist");
        this.startList = archive.resolveSibling(archive.getFileName() + ".startlist");
    }

    /** The helper's jar, which the archive is of. */
    Path jar() {
        return jar;
    }

    Path archive() {
        return archive;
    }

    /**
     * The JVM flags for the next start of the helper: map the archive when it is newer than the
     * jar (the JVM itself also refuses an archive whose jar changed size or time, and then runs
     * without it), else record the class list for {@link #build}.
     */
    List<String> flags() {
        if (fresh()) {
            // with -Xshare:auto (JVM_FLAGS), a JDK that changed under the archive runs without it, quietly
            return List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off");
        }
        return List.of("-XX:DumpLoadedClassList=" + classList);
    }

    boolean fresh() {
        try {
            return Files.isRegularFile(archive)
                    && Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(jar)) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** True when a run recorded its start-up classes and no archive has been built from them yet. */
    boolean pending() {
        return Files.isRegularFile(startList) && !fresh();
    }

    /**
     * Keeps the classes the helper has loaded so far (call it once the helper is ready; the
     * JVM goes on appending to its list): the complete lines of the recorded list, written
     * atomically. No-op when this run recorded nothing (it mapped a fresh archive).
     */
    void markStarted() throws IOException {
        if (fresh() || !Files.isRegularFile(classList)) {
            return;
        }
        byte[] b = Files.readAllBytes(classList);
        int end = b.length;
        while (end > 0 && b[end - 1] != '\n') {
            end--; // a line the JVM is still writing
        }
        Path tmp = startList.resolveSibling(startList.getFileName() + ".tmp");
        Files.write(tmp, java.util.Arrays.copyOf(b, end));
        Files.move(tmp, startList, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Builds the archive from the recorded class list with {@code java} (the JVM the helper runs
     * on: an archive only fits the JDK build that wrote it). Written to a temporary file and
     * renamed, so a helper never maps half an archive. Returns a one-line error, or null on success.
     */
    String build(String java) throws InterruptedException {
        if (!Files.isRegularFile(startList)) {
            return "no start-up class list at " + startList + ": start the helper once with the flags of flags(),"
                    + " then markStarted()";
        }
        Path tmp = archive.resolveSibling(archive.getFileName() + ".tmp");
        Path log = archive.resolveSibling(archive.getFileName() + ".dump.log");
        try {
            Files.deleteIfExists(tmp);
            Process p = new ProcessBuilder(java, "-Xshare:dump", "-XX:SharedClassListFile=" + startList,
                    "-XX:SharedArchiveFile=" + tmp, "-Xlog:cds=off", "-cp", jar.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(DUMP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                Files.deleteIfExists(tmp);
                return "java -Xshare:dump took over " + DUMP_TIMEOUT_SECONDS + " s; see " + log;
            }
            if (p.exitValue() != 0 || !Files.isRegularFile(tmp)) {
                Files.deleteIfExists(tmp);
                return "java -Xshare:dump exited with " + p.exitValue() + "; see " + log;
            }
            Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(classList);
            Files.deleteIfExists(startList);
            Files.deleteIfExists(log);
            return null;
        } catch (IOException e) {
            return "cannot build " + archive + ": " + e.getMessage();
        }
    }
}
