package org.qemu.helpers.compress.dbus;

import java.util.Map;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.DBusProperty;
import org.freedesktop.dbus.annotations.DBusProperty.Access;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;
import org.qemu.helpers.common.trust.MinTrust;
import org.qemu.helpers.common.trust.TrustLevel;

/** org.qemu.Compress1 at /org/qemu/Compress1 (CONTRACT.md; documented in org.qemu.Compress1.xml). */
@DBusInterfaceName("org.qemu.Compress1")
@DBusProperty(name = "MaxRunning", type = UInt32.class, access = Access.READ)
@DBusProperty(name = "Running", type = UInt32.class, access = Access.READ)
@DBusProperty(name = "Queued", type = UInt32.class, access = Access.READ)
@DBusProperty(name = "Formats", type = String[].class, access = Access.READ)
@DBusProperty(name = "Roots", type = String[].class, access = Access.READ)
public interface Compress1 extends DBusInterface {
    String PATH = "/org/qemu/Compress1";
    String INTERFACE = "org.qemu.Compress1";

    /** Queues compressing {@code source} into {@code destination}; returns the job's object path at once. */
    @MinTrust(TrustLevel.HELPER)
    DBusPath Compress(String source, String destination, String format, Map<String, Variant<?>> options);

    /** Queues decompressing; {@code format} may be "auto" (by magic number). */
    @MinTrust(TrustLevel.HELPER)
    DBusPath Decompress(String source, String destination, String format, Map<String, Variant<?>> options);
}
