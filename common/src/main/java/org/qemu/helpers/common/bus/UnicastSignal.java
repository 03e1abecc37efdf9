package org.qemu.helpers.common.bus;

import java.util.ArrayList;
import java.util.List;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.constants.HeaderField;
import org.freedesktop.dbus.messages.constants.MessageTypes;

/**
 * A copy of a signal with a DESTINATION header: the bus delivers it to that peer only (D-Bus
 * specification "Message Routing": a message with a destination goes to it, plus eavesdroppers
 * the policy allows). dbus-java 5.2.2's DBusSignal has no way to set a destination.
 */
final class UnicastSignal extends Message {
    UnicastSignal(byte endian, DBusSignal signal, String destination) throws DBusException {
        super(endian, MessageTypes.SIGNAL.getId(), (byte) 0);
        String sig = signal.getSig();
        Object[] args = signal.getParameters();
        List<Object> header = new ArrayList<>();
        header.add(createHeaderArgs(HeaderField.PATH, "o", signal.getPath()));
        header.add(createHeaderArgs(HeaderField.INTERFACE, "s", signal.getInterface()));
        header.add(createHeaderArgs(HeaderField.MEMBER, "s", signal.getName()));
        header.add(createHeaderArgs(HeaderField.DESTINATION, "s", destination));
        if (sig != null && !sig.isEmpty()) {
            header.add(createHeaderArgs(HeaderField.SIGNATURE, "g", sig));
        }
        setArgs(args);
        padAndMarshall(header, getSerial(), sig, args == null ? new Object[0] : args);
    }
}
