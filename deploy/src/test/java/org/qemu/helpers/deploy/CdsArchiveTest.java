package org.qemu.helpers.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's AppCDS cycle with a real JVM: record a class list, dump, map the archive. */
class CdsArchiveTest {
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final String PROBE = CdsProbe.class.getName();

    @TempDir
    Path dir;

    @Test
    void aRecordedRunBecomesAnArchiveThatTheNextRunMaps() throws Exception {
        Path jar = probeJar();
        CdsArchive cds = new CdsArchive(jar, dir.resolve("cds").resolve("probe.jsa"));
        Files.createDirectories(cds.archive().getParent());

        assertFalse(cds.fresh());
        assertFalse(cds.pending(), "nothing recorded yet");
        assertTrue(cds.flags().get(0).startsWith("-XX:DumpLoadedClassList="), cds.flags().toString());
        assertEquals("probe ran\n", run(jar, cds.flags()));
        assertFalse(cds.pending(), "recorded, but not marked started");
        // the JVM may be in the middle of a line when the helper reports ready: that line is left out
        Path recorded = dir.resolve("cds/probe.jsa.classlist");
        Files.writeString(recorded, "org/example/Half", java.nio.file.StandardOpenOption.APPEND);
        cds.markStarted();
        assertTrue(cds.pending(), "the run recorded its start-up classes");
        String start = Files.readString(dir.resolve("cds/probe.jsa.startlist"));
        assertTrue(start.endsWith("\n") && !start.contains("org/example/Half"), start);
        assertTrue(start.contains(CdsProbe.class.getName().replace('.', '/')), start);

        assertNull(cds.build(JAVA));
        assertTrue(cds.fresh());
        assertFalse(cds.pending(), "the class lists are used up");
        assertFalse(Files.exists(recorded));
        assertEquals(List.of("-XX:SharedArchiveFile=" + cds.archive(), "-Xlog:cds=off"), cds.flags());
        // -Xshare:on fails the start when the archive cannot be mapped; the probe's class comes from it
        List<String> mapped = new ArrayList<>(List.of("-Xshare:on", "-XX:SharedArchiveFile=" + cds.archive(),
                "-Xlog:class+load=info"));
        String out = run(jar, mapped);
        assertTrue(out.contains(PROBE + " source: shared objects file"), out);
        assertTrue(out.contains("picocli.CommandLine source: shared objects file"),
                "picocli's Java 5 class files are archived too: " + out.lines().filter(l -> l.contains("picocli"))
                        .findFirst().orElse("(picocli not loaded)"));

        // a rebuilt jar makes the archive stale: the next run records again
        Files.setLastModifiedTime(jar, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        assertFalse(cds.fresh());
        assertTrue(cds.flags().get(0).startsWith("-XX:DumpLoadedClassList="));
    }

    @Test
    void buildingWithoutAClassListSaysWhatIsMissingAndWritesNothing() throws Exception {
        CdsArchive cds = new CdsArchive(probeJar(), dir.resolve("none.jsa"));
        String error = cds.build(JAVA);
        assertNotNull(error);
        assertTrue(error.contains("no start-up class list at " + dir.resolve("none.jsa.startlist")), error);
        assertFalse(Files.exists(cds.archive()));
    }

    @Test
    void aFailedDumpLeavesNoArchiveAndNamesItsLog() throws Exception {
        CdsArchive cds = new CdsArchive(dir.resolve("missing.jar"), dir.resolve("bad.jsa"));
        Files.writeString(dir.resolve("bad.jsa.startlist"), "java/lang/Object id: 0\nthis is not a class list @@@\n");
        String error = cds.build(JAVA);
        assertNotNull(error);
        assertTrue(error.contains("see " + dir.resolve("bad.jsa.dump.log")), error);
        assertFalse(Files.exists(cds.archive()));
        assertFalse(Files.exists(dir.resolve("bad.jsa.tmp")));
    }

    /** A jar holding the probe and picocli (a Java 5 class file, as in every helper jar). */
    private Path probeJar() throws IOException {
        Path jar = dir.resolve("probe.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            String probe = CdsProbe.class.getName().replace('.', '/') + ".class";
            out.putNextEntry(new JarEntry(probe));
            try (var in = CdsProbe.class.getClassLoader().getResourceAsStream(probe)) {
                in.transferTo(out);
            }
            out.closeEntry();
            Path picocli = Path.of(picocli.CommandLine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            try (JarFile pj = new JarFile(picocli.toFile())) {
                for (JarEntry e : java.util.Collections.list(pj.entries())) {
                    if (e.getName().startsWith("picocli/") && e.getName().endsWith(".class")) {
                        out.putNextEntry(new JarEntry(e.getName()));
                        try (var in = pj.getInputStream(e)) {
                            in.transferTo(out);
                        }
                        out.closeEntry();
                    }
                }
            }
        } catch (java.net.URISyntaxException e) {
            throw new IOException(e);
        }
        return jar;
    }

    private String run(Path jar, List<String> flags) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(JAVA));
        cmd.addAll(flags);
        cmd.addAll(List.of("-cp", jar.toString(), PROBE));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    /** Runs in the child JVM: loads picocli.CommandLine (no nested classes needed) and prints a line. */
    public static final class CdsProbe {
        public static void main(String[] args) throws Exception {
            Class.forName("picocli.CommandLine", false, CdsProbe.class.getClassLoader());
            OutputStream o = System.out;
            o.write("probe ran\n".getBytes(StandardCharsets.US_ASCII));
            o.flush();
        }
    }
}
