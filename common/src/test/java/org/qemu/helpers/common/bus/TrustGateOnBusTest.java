package org.qemu.helpers.common.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.sample.SampleHelper;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.ProcResult;

/** Calls from another UID (setpriv) against the trust gate of a real helper process. */
class TrustGateOnBusTest {
    static final long NOBODY = 65534;

    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();
    static HelperProcess helper;

    @BeforeAll
    static void start() throws Exception {
        Path policy = BUS.dir().resolve("policy.json");
        Files.writeString(policy, """
                {"default": "untrusted", "rules": [
                  {"uid": 0, "level": "admin"},
                  {"uid": %d, "level": "helper"}]}""".formatted(NOBODY));
        helper = BUS.startHelper(SampleHelper.class, "--policy=" + policy, "--state-dir=" + BUS.dir().resolve("s"),
                "--initial=original").awaitReady(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() throws Exception {
        helper.stop();
    }

    static String value() throws Exception {
        return BUS.busctl("call", "org.qemu.Sample1", "/org/qemu/Sample1", "org.qemu.Sample1", "GetValue")
                .stdout().strip();
    }

    @Test
    void adminMethodFromAnotherUidIsDeniedChangesNothingAndIsAudited() throws Exception {
        ProcResult r = Commands.runAs(NOBODY, BUS.busctlCommand("call", "org.qemu.Sample1", "/org/qemu/Sample1", "org.qemu.Sample1",
                "SetValue", "s", "hijacked"));
        assertFalse(r.ok(), r.toString());
        assertTrue(r.stderr().contains("Access denied"), r.toString());
        assertEquals("s \"original\"", value());
        String audit = helper.output().lines().filter(l -> l.contains("access-denied")).reduce((a, b) -> b).orElse("");
        assertTrue(audit.matches("sample warn access-denied sender=:1\\.\\d+ uid=65534 pid=\\d+ "
                + "member=org\\.qemu\\.Sample1\\.SetValue needed=admin held=helper( suppressed_before=\\d+)?"), audit);
    }

    @Test
    void theErrorNameIsTheStandardAccessDenied() throws Exception {
        ProcResult r = Commands.runAs(NOBODY, "gdbus", "call", "--address", BUS.address(), "--dest", "org.qemu.Sample1",
                "--object-path", "/org/qemu/Sample1", "--method", "org.qemu.Sample1.SetValue", "x");
        assertTrue(r.stderr().contains("org.freedesktop.DBus.Error.AccessDenied: org.qemu.Sample1.SetValue needs trust"
                + " level admin; the caller (uid 65534) has helper"), r.toString());
    }

    @Test
    void helperLevelMethodFromThatUidIsAllowed() throws Exception {
        ProcResult r = Commands.runAs(NOBODY, BUS.busctlCommand("call", "org.qemu.Sample1", "/org/qemu/Sample1", "org.qemu.Sample1",
                "GetValue"));
        assertTrue(r.ok(), r.toString());
    }

    @Test
    void theSameCallFromTheHelpersUidSucceeds() throws Exception {
        ProcResult r = BUS.busctl("call", "org.qemu.Sample1", "/org/qemu/Sample1", "org.qemu.Sample1",
                "SetValue", "s", "by-admin");
        assertTrue(r.ok(), r.toString());
        assertEquals("s \"by-admin\"", value());
        BUS.busctl("call", "org.qemu.Sample1", "/org/qemu/Sample1", "org.qemu.Sample1", "SetValue", "s",
                "original");
    }

    @Test
    void writingAPropertyNeedsItsWriteLevel() throws Exception {
        ProcResult r = Commands.runAs(NOBODY, BUS.busctlCommand("set-property", "org.qemu.Sample1", "/org/qemu/Sample1",
                "org.qemu.Sample1", "Note", "s", "x"));
        assertFalse(r.ok(), r.toString());
        assertTrue(r.stderr().contains("Access denied"), r.toString());
        ProcResult g = Commands.runAs(NOBODY, "gdbus", "call", "--address", BUS.address(), "--dest", "org.qemu.Sample1",
                "--object-path", "/org/qemu/Sample1", "--method", "org.freedesktop.DBus.Properties.Set",
                "org.qemu.Sample1", "Note", "<'x'>");
        assertTrue(g.stderr().contains("writing org.qemu.Sample1.Note needs trust level admin"), g.toString());
    }

    @Test
    void malformedArgumentsGetInvalidArgs() throws Exception {
        ProcResult r = Commands.run("gdbus", "call", "--address", BUS.address(), "--dest", "org.qemu.Sample1",
                "--object-path", "/org/qemu/Sample1", "--method", "org.qemu.Sample1.SetValue", "x".repeat(5000));
        assertTrue(r.stderr().contains("org.freedesktop.DBus.Error.InvalidArgs"), r.toString());
        assertEquals("s \"original\"", value());
    }

    @Test
    void aFloodOfDeniedCallsWritesARateLimitedAuditTrail() throws Exception {
        long before = helper.output().lines().filter(l -> l.contains("access-denied")).count();
        // 400 denied calls from one untrusted-for-this-member peer, as fast as one shell can make them
        String call = String.join(" ", BUS.busctlCommand("call", "org.qemu.Sample1", "/org/qemu/Sample1",
                "org.qemu.Sample1", "SetValue", "s", "flood"));
        long t0 = System.nanoTime();
        ProcResult r = Commands.runAs(NOBODY, "sh", "-c", "i=0; while [ $i -lt 400 ]; do " + call
                + " 2>/dev/null; i=$((i+1)); done; true");
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(r.ok(), r.toString());
        assertEquals("s \"original\"", value());
        java.util.List<String> lines = helper.output().lines().filter(l -> l.contains("access-denied")).skip(before)
                .toList();
        // a burst of 50, then 10 a second: the bound depends on how long the flood took (a loaded machine is slower)
        long bound = 50 + (long) Math.ceil(seconds * 10) + 2;
        assertTrue(lines.size() <= bound, lines.size() + " audit lines for 400 denials in " + seconds + " s (at most "
                + bound + ")");
        if (bound >= 400) {
            return; // the flood was too slow to tell a limit from none; the unit test covers the arithmetic
        }
        assertTrue(lines.stream().anyMatch(l -> l.matches(".* suppressed_before=\\d+")), String.join("\n", lines));
    }
}
