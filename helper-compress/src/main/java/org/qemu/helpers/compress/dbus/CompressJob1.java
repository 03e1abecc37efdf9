package org.qemu.helpers.compress.dbus;

import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.DBusProperty;
import org.freedesktop.dbus.annotations.DBusProperty.Access;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.types.UInt64;
import org.qemu.helpers.common.trust.MinTrust;
import org.qemu.helpers.common.trust.TrustLevel;

/** org.qemu.Compress1.Job at /org/qemu/Compress1/Job/N. */
@DBusInterfaceName("org.qemu.Compress1.Job")
@DBusProperty(name = "State", type = String.class, access = Access.READ)
@DBusProperty(name = "BytesIn", type = UInt64.class, access = Access.READ)
@DBusProperty(name = "BytesOut", type = UInt64.class, access = Access.READ)
@DBusProperty(name = "TotalBytes", type = UInt64.class, access = Access.READ)
@DBusProperty(name = "Error", type = String.class, access = Access.READ)
@DBusProperty(name = "Operation", type = String.class, access = Access.READ)
@DBusProperty(name = "Format", type = String.class, access = Access.READ)
@DBusProperty(name = "Source", type = String.class, access = Access.READ)
@DBusProperty(name = "Destination", type = String.class, access = Access.READ)
public interface CompressJob1 extends DBusInterface {
    String INTERFACE = "org.qemu.Compress1.Job";
    String PATH_PREFIX = "/org/qemu/Compress1/Job/";

    /** Cancels the job: allowed to the peer that submitted it, or an admin; others get AccessDenied. */
    @MinTrust(TrustLevel.HELPER)
    void Cancel();

    /** Sent once when the job reaches done, failed or cancelled, after the final PropertiesChanged. */
    class Finished extends DBusSignal {
        private final String state;
        private final String error;

        public Finished(String path, String state, String error) throws DBusException {
            super(path, state, error);
            this.state = state;
            this.error = error;
        }

        public String getState() { return state; }
        public String getError() { return error; }
    }
}
