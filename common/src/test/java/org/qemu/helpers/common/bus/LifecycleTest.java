package org.qemu.helpers.common.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.exit.ExitCodes;
import org.qemu.helpers.common.sample.SampleHelper;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.ProcResult;

/** Start, refusal and stop of real helper processes: names, Ids, policy errors, signals. */
class LifecycleTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    static String state(String n) {
        return "--state-dir=" + BUS.dir().resolve(n);
    }

    @Test
    void aSecondHelperForATakenNameExitsNamingTheOwner() throws Exception {
        HelperProcess first = BUS.startHelper(SampleHelper.class, state("a"), "--bus-name=org.qemu.Dup1",
                "--vmstate-id=").awaitReady(Duration.ofSeconds(30));
        HelperProcess second = BUS.startHelper(SampleHelper.class, state("b"), "--bus-name=org.qemu.Dup1",
                "--vmstate-id=");
        assertEquals(ExitCodes.STARTUP, second.awaitExit(Duration.ofSeconds(30)), second.output());
        String line = second.output().lines().filter(l -> l.contains("startup-failed")).findFirst().orElse("");
        assertTrue(line.contains("bus name org.qemu.Dup1 is already owned by :1.")
                && line.contains("(pid " + first.pid() + ", uid 0)"), line);
        assertEquals(0, first.stop());
    }

    @Test
    void aSecondHelperWithTheSameVMStateIdRefusesToQueue() throws Exception {
        HelperProcess a = BUS.startHelper(SampleHelper.class, state("c"), "--bus-name=org.qemu.IdA1",
                "--vmstate-id=same").awaitReady(Duration.ofSeconds(30));
        HelperProcess b = BUS.startHelper(SampleHelper.class, state("d"), "--bus-name=org.qemu.IdB1",
                "--vmstate-id=same");
        assertEquals(ExitCodes.STARTUP, b.awaitExit(Duration.ofSeconds(30)), b.output());
        assertTrue(b.output().contains("VMState Id 'same' is already queued for org.qemu.VMState1 by :1."), b.output());
        HelperProcess c = BUS.startHelper(SampleHelper.class, state("e"), "--bus-name=org.qemu.IdC1",
                "--vmstate-id=other").awaitReady(Duration.ofSeconds(30));
        ProcResult queued = BUS.busctl("call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                "ListQueuedOwners", "s", "org.qemu.VMState1");
        assertTrue(queued.stdout().startsWith("as 2 "), queued.toString());
        assertEquals(0, a.stop());
        assertEquals(0, c.stop());
    }

    @Test
    void aBadPolicyFileStopsTheHelperNamingTheField() throws Exception {
        Path policy = BUS.dir().resolve("bad-policy.json");
        Files.writeString(policy, "{\"rules\": [{\"uid\": 0, \"level\": \"superuser\"}]}");
        HelperProcess p = BUS.startHelper(SampleHelper.class, state("f"), "--bus-name=org.qemu.Bad1",
                "--policy=" + policy);
        assertEquals(ExitCodes.CONFIG, p.awaitExit(Duration.ofSeconds(30)));
        List<String> lines = p.output().lines().toList();
        assertEquals(1, lines.size(), p.output());
        assertTrue(lines.get(0).contains("policy file " + policy + ": field 'rules[0].level': unknown level 'superuser'"),
                lines.get(0));
    }

    @Test
    void anUnreachableBusIsOneLineAndANonZeroExit() throws Exception {
        HelperProcess p = BUS.startHelper(SampleHelper.class, state("g"), "--bus-address=unix:path=/nonexistent/bus");
        assertEquals(ExitCodes.STARTUP, p.awaitExit(Duration.ofSeconds(30)));
        List<String> lines = p.output().lines().filter(l -> !l.contains("no-policy")).toList();
        assertEquals(1, lines.size(), p.output());
        assertTrue(lines.get(0).startsWith("sample error startup-failed reason=\"cannot connect to bus unix:path=/nonexistent/bus"),
                lines.get(0));
    }

    @Test
    void sigtermReleasesTheNamesAndExitsZero() throws Exception {
        HelperProcess p = BUS.startHelper(SampleHelper.class, state("h"), "--bus-name=org.qemu.Term1",
                "--vmstate-id=term").awaitReady(Duration.ofSeconds(30));
        assertTrue(BUS.busctl("status", "org.qemu.Term1").ok());
        assertEquals(0, p.stop());
        assertTrue(p.output().contains("sample info stopping reason=SIGTERM"), p.output());
        assertFalse(BUS.busctl("status", "org.qemu.Term1").ok());
        ProcResult queued = BUS.busctl("call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                "ListQueuedOwners", "s", "org.qemu.VMState1");
        assertFalse(queued.stdout().contains(":"), "no queued owner from the stopped helper is left: " + queued);
    }

    @Test
    void helpShowsTheCommonOptionsAndVersionPrintsOne() throws Exception {
        HelperProcess help = BUS.startHelper(SampleHelper.class, "--help");
        assertEquals(0, help.awaitExit(Duration.ofSeconds(30)));
        for (String o : List.of("--bus-address", "--policy", "--state-dir", "--log-level", "--version")) {
            assertTrue(help.output().contains(o), help.output());
        }
        HelperProcess version = BUS.startHelper(SampleHelper.class, "--version");
        assertEquals(0, version.awaitExit(Duration.ofSeconds(30)));
        assertTrue(version.output().startsWith("qemu-dbus-helpers "), version.output());
    }
}
