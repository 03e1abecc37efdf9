package org.qemu.helpers.common.testing;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.Variant;
import org.qemu.helpers.common.discovery.Helper1;

/**
 * Records the org.qemu.Helper1 Status/StatusReason PropertiesChanged signals a helper sends, as a
 * monitoring peer sees them (not by polling the property): {@link #await} waits for a Status.
 */
public final class StatusWatch implements AutoCloseable {
    /** One PropertiesChanged: the Status and StatusReason it carried. */
    public record Change(String status, String reason) {
    }

    private final List<Change> changes = new CopyOnWriteArrayList<>();
    private final AutoCloseable registration;

    private StatusWatch(DBusConnection c) throws Exception {
        registration = c.addSigHandler(Properties.PropertiesChanged.class, sig -> {
            if (!Helper1.PATH.equals(sig.getPath()) || !Helper1.INTERFACE.equals(sig.getInterfaceName())) {
                return;
            }
            Map<String, Variant<?>> p = sig.getPropertiesChanged();
            if (p.containsKey("Status")) {
                Variant<?> r = p.get("StatusReason");
                changes.add(new Change(String.valueOf(p.get("Status").getValue()), r == null ? null
                        : String.valueOf(r.getValue())));
            }
        });
    }

    /** Starts recording on {@code c} (a connection entitled to read the helper's properties). */
    public static StatusWatch on(DBusConnection c) throws Exception {
        return new StatusWatch(c);
    }

    /** Waits for a PropertiesChanged with Status {@code status}; returns it. */
    public Change await(String status, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            for (Change c : changes) {
                if (c.status().equals(status)) {
                    return c;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no PropertiesChanged with Status " + status + " within " + timeout + "; saw " + changes);
    }

    public List<Change> changes() {
        return List.copyOf(changes);
    }

    /** Forgets what was recorded (to wait for the next change). */
    public void clear() {
        changes.clear();
    }

    @Override
    public void close() throws Exception {
        registration.close();
    }
}
