package org.qemu.helpers.common.bus;

import java.util.List;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.interfaces.Properties;

/** An exported object: emits its PropertiesChanged and takes it off the bus. */
public final class ExportHandle {
    private final DBusConnection connection;
    private final Signals signals;
    private final String path;
    private final DBusInterface exported; // held strongly: dbus-java keeps only a weak reference
    private final GatedObject gated;
    private final java.util.function.Consumer<ExportHandle> onUnexport;

    ExportHandle(DBusConnection connection, Signals signals, String path, DBusInterface exported, GatedObject gated,
                 java.util.function.Consumer<ExportHandle> onUnexport) {
        this.connection = connection;
        this.signals = signals;
        this.path = path;
        this.exported = exported;
        this.gated = gated;
        this.onUnexport = onUnexport;
    }

    public String path() {
        return path;
    }

    /**
     * Emits org.freedesktop.DBus.Properties.PropertiesChanged for {@code names} of {@code iface}
     * with their current values (D-Bus specification, Properties interface), to each peer only
     * the values it may read; a peer that may read none of them gets nothing.
     */
    public void propertiesChanged(String iface, String... names) {
        signals.sendEach(reader -> {
            var values = gated.readable(reader, iface, names);
            if (values.isEmpty()) {
                return null;
            }
            try {
                return new Properties.PropertiesChanged(path, iface, values, List.of());
            } catch (DBusException e) {
                throw new IllegalArgumentException("PropertiesChanged of " + path + " " + iface + ": " + e.getMessage(), e);
            }
        }, iface + " PropertiesChanged");
    }

    /** PropertiesChanged of {@code names} of the object's own interface (the one it was exported with). */
    public void changed(String... names) {
        propertiesChanged(gated.interfaceName(), names);
    }

    /** Makes a signal of this object (its constructor takes the path first, as dbus-java's DBusSignal). */
    @FunctionalInterface
    public interface SignalFactory {
        org.freedesktop.dbus.messages.DBusSignal at(String path) throws DBusException;
    }

    /**
     * Emits the signal {@code factory} makes at this object's path, only to the peers entitled to read
     * it ({@link Signals#sendMessage}, level helper).
     */
    public void signal(SignalFactory factory) {
        try {
            signals.sendMessage(factory.at(path));
        } catch (DBusException e) {
            throw new IllegalArgumentException("signal of " + path + ": " + e.getMessage(), e);
        }
    }

    /** Removes the object from the bus and lets the runtime forget it. */
    public void unexport() {
        connection.unExportObject(path);
        onUnexport.accept(this);
    }

    DBusInterface exported() {
        return exported;
    }
}
