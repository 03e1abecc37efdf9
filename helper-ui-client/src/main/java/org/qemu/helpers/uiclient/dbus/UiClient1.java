package org.qemu.helpers.uiclient.dbus;

import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.DBusProperty;
import org.freedesktop.dbus.annotations.DBusProperty.Access;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.types.UInt32;
import org.qemu.helpers.common.trust.MinTrust;
import org.qemu.helpers.common.trust.TrustLevel;

/**
 * org.qemu.UiClient1 at /org/qemu/UiClient1 (CONTRACT.md): screenshots of and typing into the
 * VM's consoles through QEMU's D-Bus display. Introspection XML: org.qemu.UiClient1.xml.
 */
@DBusInterfaceName("org.qemu.UiClient1")
@DBusProperty(name = "Consoles", type = UInt32[].class, access = Access.READ)
@DBusProperty(name = "DisplayState", type = String.class, access = Access.READ)
@DBusProperty(name = "VmName", type = String.class, access = Access.READ)
@DBusProperty(name = "WebConsole", type = String.class, access = Access.READ)
public interface UiClient1 extends DBusInterface {
    /** The console's current frame as a PNG (its exact size, 8-bit RGB). */
    @MinTrust(TrustLevel.HELPER)
    byte[] Screenshot(UInt32 console);

    /** Types {@code text} on a US keyboard layout (printable ASCII, \n, \t), shift included. */
    @MinTrust(TrustLevel.ADMIN)
    void TypeText(UInt32 console, String text);
}
