package org.qemu.helpers.common.discovery;

import java.util.List;
import org.freedesktop.dbus.TypeRef;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.DBusProperty;
import org.freedesktop.dbus.annotations.DBusProperty.Access;
import org.freedesktop.dbus.interfaces.DBusInterface;

/**
 * org.qemu.Helper1, served by every helper at /org/qemu/Helper1 so that peers can find out
 * what runs on the VM's bus (CONTRACT.md). Properties only; Status and StatusReason (why it is
 * degraded, empty otherwise) emit PropertiesChanged.
 */
@DBusInterfaceName(Helper1.INTERFACE)
@DBusProperty(name = "Name", type = String.class, access = Access.READ)
@DBusProperty(name = "Version", type = String.class, access = Access.READ)
@DBusProperty(name = "Description", type = String.class, access = Access.READ)
@DBusProperty(name = "Interfaces", type = Helper1.StringList.class, access = Access.READ)
@DBusProperty(name = "VMStateId", type = String.class, access = Access.READ)
@DBusProperty(name = "Status", type = String.class, access = Access.READ)
@DBusProperty(name = "StatusReason", type = String.class, access = Access.READ)
public interface Helper1 extends DBusInterface {
    String INTERFACE = "org.qemu.Helper1";
    String PATH = "/org/qemu/Helper1";

    /** Type of the Interfaces property (as). */
    interface StringList extends TypeRef<List<String>> {
    }
}
