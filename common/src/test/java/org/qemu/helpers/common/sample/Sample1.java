package org.qemu.helpers.common.sample;

import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.DBusProperty;
import org.freedesktop.dbus.annotations.DBusProperty.Access;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.messages.DBusSignal;
import org.qemu.helpers.common.trust.MinTrust;
import org.qemu.helpers.common.trust.TrustLevel;

/** The interface of the test helper that exercises common over a real bus. */
@DBusInterfaceName("org.qemu.Sample1")
@DBusProperty(name = "Value", type = String.class, access = Access.READ)
@DBusProperty(name = "Note", type = String.class, access = Access.READ_WRITE)
public interface Sample1 extends DBusInterface {
    @MinTrust(TrustLevel.HELPER)
    String GetValue();

    @MinTrust(TrustLevel.ADMIN)
    void SetValue(String value);

    /** The value was set (carries it, so only helpers may hear it, like the Value property). */
    final class ValueSet extends DBusSignal {
        public ValueSet(String path, String value) throws DBusException {
            super(path, value);
        }
    }
}
