package org.qemu.helpers.common.bus;

import java.util.List;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.interfaces.Properties;
import org.qemu.helpers.common.log.HelperLog;

/** An exported object: emits its PropertiesChanged and takes it off the bus. */
public final class ExportHandle {
    private final DBusConnection connection;
    private final String path;
    private final DBusInterface exported; // held strongly: dbus-java keeps only a weak reference
    private final GatedObject gated;
    private final HelperLog log;

    ExportHandle(DBusConnection connection, String path, DBusInterface exported, GatedObject gated, HelperLog log) {
        this.connection = connection;
        this.path = path;
        this.exported = exported;
        this.gated = gated;
        this.log = log;
    }

    public String path() {
        return path;
    }

    /**
     * Emits org.freedesktop.DBus.Properties.PropertiesChanged for {@code names} of {@code iface}
     * with their current values (D-Bus specification, Properties interface).
     */
    public void propertiesChanged(String iface, String... names) {
        try {
            connection.sendMessage(new Properties.PropertiesChanged(path, iface, gated.current(iface, names), List.of()));
        } catch (DBusException | org.freedesktop.dbus.exceptions.DBusExecutionException e) {
            log.warn("signal-failed", "path", path, "interface", iface, "error", e.getMessage());
        }
    }

    /** Removes the object from the bus. */
    public void unexport() {
        connection.unExportObject(path);
    }

    DBusInterface exported() {
        return exported;
    }
}
