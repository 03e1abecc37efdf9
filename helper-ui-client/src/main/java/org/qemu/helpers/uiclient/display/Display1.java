package org.qemu.helpers.uiclient.display;

import org.freedesktop.dbus.FileDescriptor;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.types.UInt16;
import org.freedesktop.dbus.types.UInt32;

/**
 * QEMU's org.qemu.Display1 interfaces as this client uses them (QEMU 7.2 ui/dbus-display1.xml,
 * "D-Bus display" in QEMU's interop docs). Objects: {@code /org/qemu/Display1/VM} and
 * {@code /org/qemu/Display1/Console_N} on the bus name {@code org.qemu}.
 */
public final class Display1 {
    public static final String BUS_NAME = "org.qemu";
    public static final String VM_PATH = "/org/qemu/Display1/VM";
    public static final String VM_IFACE = "org.qemu.Display1.VM";
    public static final String CONSOLE_IFACE = "org.qemu.Display1.Console";
    public static final String KEYBOARD_IFACE = "org.qemu.Display1.Keyboard";
    public static final String MOUSE_IFACE = "org.qemu.Display1.Mouse";
    public static final String LISTENER_PATH = "/org/qemu/Display1/Listener";

    private Display1() {
    }

    public static String consolePath(long id) {
        return "/org/qemu/Display1/Console_" + id;
    }

    /** org.qemu.Display1.Console: RegisterListener(h) hands QEMU one end of a socket pair. */
    @DBusInterfaceName(CONSOLE_IFACE)
    public interface Console extends DBusInterface {
        void RegisterListener(FileDescriptor listener);

        void SetUIInfo(UInt16 widthMm, UInt16 heightMm, int xoff, int yoff, UInt32 width, UInt32 height);
    }

    /** org.qemu.Display1.Keyboard: qnum codes (PC/XT set 1, E0 xx as 0x80|xx). */
    @DBusInterfaceName(KEYBOARD_IFACE)
    public interface Keyboard extends DBusInterface {
        void Press(UInt32 keycode);

        void Release(UInt32 keycode);
    }

    /** org.qemu.Display1.Mouse: buttons are QEMU InputButton values (0 left, 1 middle, 2 right, 3/4 wheel). */
    @DBusInterfaceName(MOUSE_IFACE)
    public interface Mouse extends DBusInterface {
        void Press(UInt32 button);

        void Release(UInt32 button);

        void SetAbsPosition(UInt32 x, UInt32 y);

        void RelMotion(int dx, int dy);
    }
}
