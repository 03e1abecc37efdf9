package org.qemu.helpers.uiclient.display;

import org.freedesktop.dbus.FileDescriptor;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.UInt64;

/**
 * org.qemu.Display1.Listener, exported by this client at /org/qemu/Display1/Listener on the
 * peer-to-peer connection QEMU opens over the socket passed to RegisterListener. QEMU calls it.
 */
@DBusInterfaceName("org.qemu.Display1.Listener")
public interface Listener extends DBusInterface {
    void Scanout(UInt32 width, UInt32 height, UInt32 stride, UInt32 pixmanFormat, byte[] data);

    void Update(int x, int y, int width, int height, UInt32 stride, UInt32 pixmanFormat, byte[] data);

    void ScanoutDMABUF(FileDescriptor dmabuf, UInt32 width, UInt32 height, UInt32 stride, UInt32 fourcc,
                       UInt64 modifier, boolean yInverted);

    void UpdateDMABUF(int x, int y, int width, int height);

    void Disable();

    void MouseSet(int x, int y, int on);

    void CursorDefine(int width, int height, int hotX, int hotY, byte[] data);
}
