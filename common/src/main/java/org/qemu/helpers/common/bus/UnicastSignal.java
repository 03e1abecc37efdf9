package org.qemu.helpers.common.bus;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.constants.Flags;
import org.freedesktop.dbus.messages.constants.HeaderField;
import org.freedesktop.dbus.messages.constants.MessageTypes;

/**
 * A copy of a signal with a DESTINATION header: the bus delivers it to that peer only (D-Bus
 * specification "Message Routing": a message with a destination goes to it, plus eavesdroppers
 * the policy allows). dbus-java 5.2.2's DBusSignal has no way to set a destination.
 * <p>
 * Flagged NO_REPLY_EXPECTED and NO_AUTO_START (D-Bus specification "Message Format", flags): a
 * signal wants no reply, and a unique name cannot be activated. dbus-daemon 1.14 still answers a
 * copy for a peer that left with an error (NameHasNoOwner; ServiceUnknown after a failed
 * activation without NO_AUTO_START, measured with dbus-monitor), which dbus-java keeps in an
 * unbounded queue when nobody waits for it: {@link Signals} drains them. Tells {@code onWrite} once when dbus-java's writer takes its
 * bytes ({@link #getWireData}, called by the transport's message writer), which is how
 * {@link Signals} knows the copy left dbus-java's queue.
 */
final class UnicastSignal extends Message {
    private final Runnable onWrite;
    private final AtomicBoolean told = new AtomicBoolean();

    UnicastSignal(byte endian, DBusSignal signal, String destination, Runnable onWrite) throws DBusException {
        super(endian, MessageTypes.SIGNAL.getId(), (byte) (Flags.NO_REPLY_EXPECTED | Flags.NO_AUTO_START));
        this.onWrite = onWrite;
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

    @Override
    public byte[][] getWireData() {
        if (told.compareAndSet(false, true)) {
            onWrite.run();
        }
        return super.getWireData();
    }
}
