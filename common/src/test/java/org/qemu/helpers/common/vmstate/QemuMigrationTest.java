package org.qemu.helpers.common.vmstate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.sample.SampleHelper;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Qemu;

/**
 * Real QEMU 7.2 migration through -object dbus-vmstate: the source QEMU calls Save on each
 * helper, the destination QEMU calls Load on fresh helpers, which end up with their twins' state.
 */
class QemuMigrationTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();
    static final Duration READY = Duration.ofSeconds(30);

    HelperProcess helper(String busName, String id, String initial) throws Exception {
        return BUS.startHelper(SampleHelper.class, "--bus-name=" + busName, "--vmstate-id=" + id,
                "--initial=" + initial, "--state-dir=" + BUS.dir().resolve(busName)).awaitReady(READY);
    }

    @AfterEach
    void cleanUp() {
        BUS.killHelpers();
    }

    /** The helper's value, as "s \"text\"" (read as JSON so non-ASCII text compares as text). */
    String value(String busName) throws Exception {
        ProcResult r = Commands.run("busctl", "--address=" + BUS.address(), "--json=short", "call", busName,
                "/org/qemu/Sample1", "org.qemu.Sample1", "GetValue");
        return "s \"" + new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.stdout()).path("data").path(0).asText()
                + "\"";
    }

    List<String> qemuArgs(String idList) {
        String obj = "dbus-vmstate,id=dv,addr=" + BUS.qemuAddress() + (idList.isEmpty() ? "" : ",id-list=" + idList);
        return List.of("-machine", "pc", "-display", "none", "-S", "-object", obj);
    }

    void migrate(String idList, Path file) throws Exception {
        try (Qemu src = Qemu.start(BUS.dir(), "src" + idList.hashCode(), qemuArgs(idList))) {
            src.qmp().execute("migrate", Map.of("uri", "exec:cat > " + file));
            src.qmp().awaitMigration(Duration.ofSeconds(60));
        }
    }

    void restore(String idList, Path file) throws Exception {
        java.util.ArrayList<String> args = new java.util.ArrayList<>(qemuArgs(idList));
        args.addAll(List.of("-incoming", "exec:cat " + file));
        try (Qemu dst = Qemu.start(BUS.dir(), "dst" + idList.hashCode(), args)) {
            dst.qmp().awaitMigration(Duration.ofSeconds(60));
        }
    }

    @Test
    void freshHelpersReceiveTheStateTheirTwinsSaved() throws Exception {
        HelperProcess a = helper("org.qemu.SampleA1", "sample-a", "alpha state ✓");
        HelperProcess b = helper("org.qemu.SampleB1", "sample-b", "beta");
        Path file = BUS.dir().resolve("migration-all");
        migrate("", file);
        assertTrue(a.output().contains("vmstate-saved id=sample-a"), a.output());
        assertTrue(b.output().contains("vmstate-saved id=sample-b"), b.output());
        assertEquals(0, a.stop());
        assertEquals(0, b.stop());

        HelperProcess a2 = helper("org.qemu.SampleA1", "sample-a", "fresh");
        HelperProcess b2 = helper("org.qemu.SampleB1", "sample-b", "fresh");
        restore("", file);
        assertEquals("s \"alpha state ✓\"", value("org.qemu.SampleA1"));
        assertEquals("s \"beta\"", value("org.qemu.SampleB1"));
        assertEquals(0, a2.stop());
        assertEquals(0, b2.stop());
    }

    @Test
    void withAnIdListOnlyTheListedHelperIsMigrated() throws Exception {
        HelperProcess a = helper("org.qemu.SampleA1", "sample-a", "listed");
        HelperProcess b = helper("org.qemu.SampleB1", "sample-b", "not listed");
        Path file = BUS.dir().resolve("migration-list");
        migrate("sample-a", file);
        assertTrue(a.output().contains("vmstate-saved id=sample-a"), a.output());
        assertTrue(!b.output().contains("vmstate-saved"), b.output());
        a.stop();
        b.stop();
        HelperProcess a2 = helper("org.qemu.SampleA1", "sample-a", "fresh");
        HelperProcess b2 = helper("org.qemu.SampleB1", "sample-b", "fresh");
        restore("sample-a", file);
        assertEquals("s \"listed\"", value("org.qemu.SampleA1"));
        assertEquals("s \"fresh\"", value("org.qemu.SampleB1"));
        a2.stop();
        b2.stop();
    }

    @Test
    void aCorruptedBlobGivenToLoadIsRefusedAndChangesNothing() throws Exception {
        HelperProcess a = helper("org.qemu.SampleC1", "sample-c", "kept");
        ProcResult saved = Commands.run("busctl", "--address=" + BUS.address(), "--json=short", "call", "org.qemu.SampleC1",
                "/org/qemu/VMState1", "org.qemu.VMState1", "Save");
        assertTrue(saved.ok(), saved.toString());
        List<String> bytes = new java.util.ArrayList<>(List.of(saved.stdout().replaceAll(".*\\[\\[?|\\]\\]?.*", "")
                .strip().split(",")));
        bytes.set(bytes.size() - 6, String.valueOf((Integer.parseInt(bytes.get(bytes.size() - 6).strip()) + 1) % 256));
        List<String> call = new java.util.ArrayList<>(List.of("busctl", "--address=" + BUS.address(), "call",
                "org.qemu.SampleC1", "/org/qemu/VMState1", "org.qemu.VMState1", "Load", "ay", String.valueOf(bytes.size())));
        bytes.forEach(x -> call.add(x.strip()));
        ProcResult load = Commands.run(Duration.ofSeconds(30), call);
        assertTrue(!load.ok(), load.toString());
        assertTrue(a.output().contains("vmstate-load-refused id=sample-c"), a.output());
        assertTrue(a.output().contains("checksum mismatch"), a.output());
        assertEquals("s \"kept\"", value("org.qemu.SampleC1"));
        a.stop();
    }
}
