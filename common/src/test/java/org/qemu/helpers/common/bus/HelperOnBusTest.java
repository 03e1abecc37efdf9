package org.qemu.helpers.common.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.qemu.helpers.common.sample.SampleHelper;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A helper process on a private bus, seen through busctl and gdbus as another program would. */
class HelperOnBusTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();
    static HelperProcess helper;

    @BeforeAll
    static void startHelper() throws Exception {
        Tools.require("busctl", "systemd");
        helper = BUS.startHelper(SampleHelper.class, "--state-dir=" + BUS.dir().resolve("state"), "--initial=hello")
                .awaitReady(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stopHelper() throws Exception {
        if (helper != null && helper.isAlive()) {
            helper.stop();
        }
    }

    @Test
    void busctlGetPropertyAnswersAVariant() throws Exception {
        ProcResult r = BUS.busctl("get-property", "org.qemu.Sample1", "/org/qemu/Sample1", "org.qemu.Sample1", "Value");
        assertEquals("s \"hello\"", r.stdout().strip(), r.toString());
        ProcResult status = BUS.busctl("get-property", "org.qemu.Sample1", "/org/qemu/Helper1", "org.qemu.Helper1", "Status");
        assertEquals("s \"ready\"", status.stdout().strip(), status.toString());
        ProcResult ifaces = BUS.busctl("get-property", "org.qemu.Sample1", "/org/qemu/Helper1", "org.qemu.Helper1", "Interfaces");
        assertEquals("as 1 \"org.qemu.Sample1\"", ifaces.stdout().strip(), ifaces.toString());
    }

    @Test
    void busctlIntrospectShowsMethodsAndProperties() throws Exception {
        ProcResult r = BUS.busctl("introspect", "--no-pager", "org.qemu.Sample1", "/org/qemu/Sample1");
        assertTrue(r.ok(), r.toString());
        assertTrue(r.stdout().matches("(?s).*\\.GetValue\\s+method\\s+-\\s+s.*"), r.stdout());
        assertTrue(r.stdout().matches("(?s).*\\.SetValue\\s+method\\s+s\\s+-.*"), r.stdout());
        assertTrue(r.stdout().matches("(?s).*\\.Value\\s+property\\s+s\\s+\"hello\".*"), r.stdout());
        assertTrue(r.stdout().contains("org.freedesktop.DBus.Properties"), r.stdout());
    }

    @Test
    void getAllHonoursItsInterfaceArgument() throws Exception {
        ProcResult sample = BUS.busctl("call", "org.qemu.Sample1", "/org/qemu/Sample1", "org.freedesktop.DBus.Properties",
                "GetAll", "s", "org.qemu.Sample1");
        assertTrue(sample.stdout().contains("\"Value\""), sample.toString());
        ProcResult other = BUS.busctl("call", "org.qemu.Sample1", "/org/qemu/Sample1", "org.freedesktop.DBus.Properties",
                "GetAll", "s", "org.qemu.Helper1");
        assertFalse(other.ok(), other.toString());
        assertTrue(other.stderr().contains("no properties of interface"), other.toString());
    }

    @Test
    void setOnAReadOnlyPropertyFailsWithPropertyReadOnly() throws Exception {
        ProcResult r = Commands.run("gdbus", "call", "--address", BUS.address(), "--dest", "org.qemu.Sample1",
                "--object-path", "/org/qemu/Sample1", "--method", "org.freedesktop.DBus.Properties.Set",
                "org.qemu.Sample1", "Value", "<'changed'>");
        assertFalse(r.ok(), r.toString());
        assertTrue(r.stderr().contains("org.freedesktop.DBus.Error.PropertyReadOnly"), r.toString());
        assertEquals("s \"hello\"", BUS.busctl("get-property", "org.qemu.Sample1", "/org/qemu/Sample1", "org.qemu.Sample1",
                "Value").stdout().strip());
    }

    @Test
    void setOnAWritablePropertyWorksForAdmin() throws Exception {
        ProcResult r = BUS.busctl("set-property", "org.qemu.Sample1", "/org/qemu/Sample1", "org.qemu.Sample1", "Note", "s", "n1");
        assertTrue(r.ok(), r.toString());
        assertEquals("s \"n1\"", BUS.busctl("get-property", "org.qemu.Sample1", "/org/qemu/Sample1", "org.qemu.Sample1",
                "Note").stdout().strip());
    }

    @Test
    void unknownPropertyIsNamedInTheError() throws Exception {
        ProcResult r = BUS.busctl("get-property", "org.qemu.Sample1", "/org/qemu/Sample1", "org.qemu.Sample1", "Nope");
        assertFalse(r.ok());
        assertTrue(r.stderr().contains("no property 'Nope'"), r.toString());
    }
}
