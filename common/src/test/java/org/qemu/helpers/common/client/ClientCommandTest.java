package org.qemu.helpers.common.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.exit.ExitCodes;
import org.qemu.helpers.common.sample.Sample1;
import org.qemu.helpers.common.sample.SampleHelper;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.trust.TrustLevel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The one client-command frame against a real bus and a real helper: each failure, its line and its exit code. */
class ClientCommandTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();
    static HelperProcess helper;

    @BeforeAll
    static void start() throws Exception {
        helper = BUS.startHelper(SampleHelper.class, "--state-dir=" + BUS.dir().resolve("s"))
                .awaitReady(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() throws Exception {
        helper.stop();
    }

    /** A client that trusts the owner of NAME (at level helper) and then calls a method the helper refuses. */
    @Command(name = "probe")
    static final class Probe extends BusClientCommand {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        @Parameters(index = "0")
        String name;

        @Option(names = "--path", defaultValue = "/org/qemu/Sample1")
        String path;

        @Option(names = "--no-owner-check")
        boolean noOwnerCheck;

        @Override
        protected PrintStream err() {
            return new PrintStream(err, true, StandardCharsets.UTF_8);
        }

        @Override
        protected int run(BusClient client) throws Exception {
            if (!noOwnerCheck) {
                client.requireOwner(name, TrustLevel.HELPER);
            }
            client.connection().getRemoteObject(name, path, Sample1.class).SetValue("x");
            return ExitCodes.OK;
        }
    }

    record Outcome(int code, String err) {
    }

    static Outcome probe(String... args) {
        Probe p = new Probe();
        int code = new CommandLine(p).execute(args);
        return new Outcome(code, p.err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void noBusIsAConfigurationErrorThatSaysHowToNameOne() {
        Outcome o = probe("--bus-address=", "org.qemu.Sample1");
        assertEquals(ExitCodes.CONFIG, o.code(), o.err());
        assertTrue(o.err().startsWith("probe: option --bus-address: no bus address: give --bus-address, --libvirt-domain"),
                o.err());
    }

    @Test
    void anUnreachableBusIsAStartupFailure() {
        Outcome o = probe("--bus-address=unix:path=/nonexistent/bus", "org.qemu.Sample1");
        assertEquals(ExitCodes.STARTUP, o.code(), o.err());
        assertTrue(o.err().startsWith("probe: cannot connect to bus unix:path=/nonexistent/bus"), o.err());
    }

    @Test
    void aBadPolicyFileIsAConfigurationErrorNamingIt() throws Exception {
        Path bad = Files.writeString(BUS.dir().resolve("bad-policy.json"), "{\"default\": \"nobody\"}");
        Outcome o = probe("--bus-address=" + BUS.address(), "--policy=" + bad, "org.qemu.Sample1");
        assertEquals(ExitCodes.CONFIG, o.code(), o.err());
        assertTrue(o.err().contains(bad.toString()), o.err());
    }

    @Test
    void aNameWithoutOwnerOrWithAnUntrustedOwnerIsNotUsed() throws Exception {
        Outcome none = probe("--bus-address=" + BUS.address(), "org.qemu.Nobody1");
        assertEquals(ExitCodes.STARTUP, none.code(), none.err());
        assertTrue(none.err().contains("no helper owns org.qemu.Nobody1 on this bus"), none.err());
        Path strict = Files.writeString(BUS.dir().resolve("strict.json"), "{\"default\": \"untrusted\", \"rules\": []}");
        Outcome distrusted = probe("--bus-address=" + BUS.address(), "--policy=" + strict, "org.qemu.Sample1");
        assertEquals(ExitCodes.STARTUP, distrusted.code(), distrusted.err());
        assertTrue(distrusted.err().contains("refusing to use org.qemu.Sample1: its owner (")
                && distrusted.err().contains("is rated 'untrusted' by " + strict), distrusted.err());
    }

    @Test
    void aTrustedOwnerIsUsedAndAnErrorReplyBecomesOneLineWithItsName() throws Exception {
        Path helperRule = Files.writeString(BUS.dir().resolve("helper.json"),
                "{\"default\": \"untrusted\", \"rules\": [{\"uid\": 0, \"level\": \"helper\"}]}");
        Outcome ok = probe("--bus-address=" + BUS.address(), "--policy=" + helperRule, "org.qemu.Sample1");
        assertEquals(ExitCodes.OK, ok.code(), ok.err());
        assertEquals("", ok.err());
        Outcome wrongPath = probe("--bus-address=" + BUS.address(), "--path=/org/qemu/Nothing", "org.qemu.Sample1");
        assertEquals(ExitCodes.CONFIG, wrongPath.code(), wrongPath.err());
        assertTrue(wrongPath.err().matches("probe: refused: \\S+UnknownObject: /org/qemu/Nothing .*\n"), wrongPath.err());
        Outcome gone = probe("--bus-address=" + BUS.address(), "--no-owner-check", "org.qemu.Nobody1");
        assertEquals(ExitCodes.STARTUP, gone.code(), gone.err());
        assertTrue(gone.err().matches("probe: refused: \\S+ServiceUnknown: .*\n"), gone.err());
    }
}
