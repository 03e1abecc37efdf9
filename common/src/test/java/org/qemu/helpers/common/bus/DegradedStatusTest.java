package org.qemu.helpers.common.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.interfaces.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.discovery.Helper1;
import org.qemu.helpers.common.sample.SampleHelper;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.StatusWatch;

/**
 * issue 11: degraded was never set. A condition a helper's part reports makes Status degraded with a
 * StatusReason naming it, and its end ready again, each with PropertiesChanged; two conditions are both named.
 */
class DegradedStatusTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @Test
    void conditionsSetAndClearDegradedWithAReason() throws Exception {
        HelperRuntime rt = new SampleHelper().startInProcess("--bus-address=" + BUS.address(),
                "--state-dir=" + BUS.dir().resolve("degraded"), "--bus-name=org.qemu.Degraded1", "--vmstate-id=");
        DBusConnection c = BUS.connect();
        Properties p = c.getRemoteObject("org.qemu.Degraded1", Helper1.PATH, Properties.class);
        try (rt; StatusWatch watch = StatusWatch.on(c)) {
            assertEquals("", p.Get(Helper1.INTERFACE, "StatusReason"));
            rt.health().degraded("journal", "cannot write /x (No space left on device)");
            assertEquals(new StatusWatch.Change("degraded", "journal: cannot write /x (No space left on device)"),
                    watch.await("degraded", Duration.ofSeconds(10)));
            rt.health().degraded("display", "QEMU left");
            assertEquals("journal: cannot write /x (No space left on device); display: QEMU left",
                    p.Get(Helper1.INTERFACE, "StatusReason"));
            // the signal of that second change is asynchronous: wait for it before counting what follows
            long end = System.nanoTime() + 10_000_000_000L;
            while (watch.changes().size() < 2 && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertEquals(2, watch.changes().size(), "both degraded changes signalled: " + watch.changes());
            watch.clear();
            rt.health().recovered("journal");
            rt.health().recovered("journal"); // again: nothing changes
            rt.health().recovered("display");
            assertEquals(new StatusWatch.Change("ready", ""), watch.await("ready", Duration.ofSeconds(10)));
            assertEquals("ready", p.Get(Helper1.INTERFACE, "Status"));
            Thread.sleep(200);
            // two changes (degraded naming display only, then ready), or one: Signals merges a PropertiesChanged
            // still waiting for the bus with the next for the same object, newer values winning
            List<StatusWatch.Change> seen = watch.changes();
            assertEquals(new StatusWatch.Change("ready", ""), seen.get(seen.size() - 1), "last change: " + seen);
            assertTrue(seen.equals(List.of(new StatusWatch.Change("degraded", "display: QEMU left"),
                    new StatusWatch.Change("ready", ""))) || seen.size() == 1,
                    "one PropertiesChanged per change, at most: " + seen);
        }
    }
}
