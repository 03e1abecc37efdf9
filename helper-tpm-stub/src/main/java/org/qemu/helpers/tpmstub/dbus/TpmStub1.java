package org.qemu.helpers.tpmstub.dbus;

import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.DBusProperty;
import org.freedesktop.dbus.annotations.DBusProperty.Access;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.types.UInt32;
import org.qemu.helpers.common.trust.MinTrust;
import org.qemu.helpers.common.trust.TrustLevel;

/** org.qemu.TpmStub1 (see org.qemu.TpmStub1.xml beside this class for the documentation). */
@DBusInterfaceName("org.qemu.TpmStub1")
@DBusProperty(name = "Banks", type = String[].class, access = Access.READ)
@DBusProperty(name = "ActiveBanks", type = String[].class, access = Access.READ)
@DBusProperty(name = "Started", type = Boolean.class, access = Access.READ)
@DBusProperty(name = "Locality", type = Byte.class, access = Access.READ)
@DBusProperty(name = "Established", type = Boolean.class, access = Access.READ)
public interface TpmStub1 extends DBusInterface {
    @MinTrust(TrustLevel.HELPER)
    byte[] PcrRead(String bank, UInt32 index);

    @MinTrust(TrustLevel.ADMIN)
    void PcrExtend(String bank, UInt32 index, byte[] digest);

    @MinTrust(TrustLevel.HELPER)
    byte[] GetRandom(UInt32 count);
}
