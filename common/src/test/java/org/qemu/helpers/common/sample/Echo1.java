package org.qemu.helpers.common.sample;

import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.DBusProperty;
import org.freedesktop.dbus.annotations.DBusProperty.Access;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.messages.DBusSignal;
import org.qemu.helpers.common.trust.MinTrust;
import org.qemu.helpers.common.trust.TrustLevel;

/**
 * org.qemu.Echo1, the template helper's interface (README "Write a new helper"): one text that admins
 * set and helpers read (the property, level helper by default) and hear (the signal carries the text, so
 * only peers that may read the property receive it).
 */
@DBusInterfaceName("org.qemu.Echo1")
@DBusProperty(name = "Text", type = String.class, access = Access.READ)
public interface Echo1 extends DBusInterface {
    @MinTrust(TrustLevel.ADMIN)
    void Set(String text);

    /** The text was set. */
    final class TextSet extends DBusSignal {
        public TextSet(String path, String text) throws DBusException {
            super(path, text);
        }
    }
}
