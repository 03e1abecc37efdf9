package org.qemu.helpers.common.vmstate;

import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.annotations.DBusProperty;
import org.freedesktop.dbus.annotations.DBusProperty.Access;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.qemu.helpers.common.trust.MinTrust;
import org.qemu.helpers.common.trust.TrustLevel;

/**
 * QEMU's org.qemu.VMState1 (QEMU backends/dbus-vmstate1.xml, docs/interop/dbus-vmstate.rst):
 * QEMU reads Id, calls Save on the source and Load on the destination. QEMU is a {@code vmm}
 * peer, so that is the level these members need; the blob is untrusted and fully validated.
 */
@DBusInterfaceName(VMState1.INTERFACE)
@DBusProperty(name = "Id", type = String.class, access = Access.READ)
public interface VMState1 extends DBusInterface {
    String INTERFACE = "org.qemu.VMState1";
    String BUS_NAME = "org.qemu.VMState1";
    String PATH = "/org/qemu/VMState1";

    /** The helper's state, framed; at most 1 MiB. */
    @MinTrust(TrustLevel.VMM)
    byte[] Save();

    /** Replaces the helper's state with a blob from Save, all or nothing. */
    @MinTrust(TrustLevel.VMM)
    void Load(byte[] data);
}
