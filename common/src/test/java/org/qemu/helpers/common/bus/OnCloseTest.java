package org.qemu.helpers.common.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.sample.SampleHelper;
import org.qemu.helpers.common.testing.PrivateBus;

/** rt.onClose: the helper's work closes at stop, last opened first, before the names are released. */
class OnCloseTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @Test
    void workClosesInReverseOrderWhileTheNameIsStillOwnedAndAFailureStopsNoOther() throws Exception {
        List<String> closed = new CopyOnWriteArrayList<>();
        try (DBusConnection probe = BUS.connect()) {
            org.freedesktop.dbus.interfaces.DBus dbus = probe.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus",
                    org.freedesktop.dbus.interfaces.DBus.class);
            HelperRuntime rt = new SampleHelper().startInProcess("--bus-address=" + BUS.address(),
                    "--state-dir=" + BUS.dir().resolve("s"));
            rt.onClose(() -> closed.add("first, owned=" + dbus.NameHasOwner("org.qemu.Sample1")));
            rt.onClose(() -> {
                closed.add("second");
                throw new IllegalStateException("a close that fails");
            });
            rt.onClose(() -> closed.add("third"));
            rt.close();
            rt.close();
            assertEquals(List.of("third", "second", "first, owned=true"), closed);
            assertEquals(false, dbus.NameHasOwner("org.qemu.Sample1"));
        }
    }
}
