package org.qemu.helpers.common.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qemu.helpers.common.sample.SampleHelper;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.text.Untrusted;

class HelperLogTest {
    @TempDir
    Path dir;

    @Test
    void oneLinePerEventWithHostileValuesQuoted() {
        HelperLog log = new HelperLog("slirp-dhcp", HelperLog.Level.INFO, System.err);
        assertEquals("slirp-dhcp info lease mac=52:54:00:12:34:56 hostname=\"evil\\x0ainjected level=error\"",
                log.format(HelperLog.Level.INFO, "lease", "mac", "52:54:00:12:34:56", "hostname",
                        "evil\ninjected level=error"));
        assertEquals("\"\"", Untrusted.quote(""));
        assertEquals("\"a \\\"b\\\"\"", Untrusted.quote("a \"b\""));
        assertEquals("\"right-to-left \\u202e override, caf\\xe9, \\x1b[31m\"",
                Untrusted.quote("right-to-left \u202e override, caf\u00e9, \u001b[31m"));
        assertEquals("a\\\\b \\x07 abcd...", Untrusted.printable("a\\b \u0007 abcdef", 10));
    }

    @Test
    void levelsCarryJournaldPrioritiesWhenAsked() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        HelperLog log = new HelperLog("tpm-stub", HelperLog.Level.DEBUG, new PrintStream(bytes, true), true);
        log.debug("a");
        log.info("b");
        log.warn("c");
        log.error("d");
        assertEquals(List.of("<7>tpm-stub debug a", "<6>tpm-stub info b", "<4>tpm-stub warn c", "<3>tpm-stub error d"),
                bytes.toString(StandardCharsets.UTF_8).lines().toList());
    }

    /** A real helper process: prefixes only when $JOURNAL_STREAM names its stderr, as systemd sets it. */
    @Test
    void aHelperPrefixesOnlyWhenItsStderrIsTheJournalStream() throws Exception {
        Path out = Files.createFile(dir.resolve("stderr"));
        String ownStream = Files.getAttribute(out, "unix:dev") + ":" + Files.getAttribute(out, "unix:ino");
        assertTrue(run(out, ownStream).startsWith("<4>sample warn no-policy "), Files.readString(out));
        assertTrue(Files.readString(out).lines().anyMatch(l -> l.startsWith("<3>sample error startup-failed ")),
                Files.readString(out));
        String elsewhere = run(out, "1:1"); // a wrapper redirected stderr: the variable no longer applies
        assertTrue(elsewhere.startsWith("sample warn no-policy "), elsewhere);
        assertFalse(elsewhere.contains("<"), elsewhere);
    }

    private static String run(Path out, String journalStream) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(HelperProcess.JVM_FLAGS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SampleHelper.class.getName(),
                "--bus-address=unix:path=/nonexistent/bus", "--state-dir=" + out.getParent().resolve("state")));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(out.toFile()).redirectOutput(out.toFile());
        pb.environment().put("JOURNAL_STREAM", journalStream);
        Process p = pb.start();
        assertTrue(p.waitFor(Duration.ofSeconds(60).toSeconds(), TimeUnit.SECONDS));
        return Files.readString(out);
    }
}
