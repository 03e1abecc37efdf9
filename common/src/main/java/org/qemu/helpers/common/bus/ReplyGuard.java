package org.qemu.helpers.common.bus;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicLong;
import org.freedesktop.dbus.connections.base.AbstractConnectionBase;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.transports.AbstractTransport;
import org.freedesktop.dbus.connections.transports.TransportConnection;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.messages.Error;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.spi.message.IMessageWriter;
import org.qemu.helpers.common.trust.DenialBudget;

/**
 * Lets the trust gate finish a call that wants a reply without anything reaching the wire, and tells the
 * {@link DenialBudget} when each AccessDenied error it admitted has left dbus-java's sender queue.
 * <p>
 * dbus-java 5.2.2 answers every exported call itself: a method that returns gets a method return
 * (ConnectionMethodInvocation.invokeMethodAndReply, unless NO_REPLY_EXPECTED), one that throws gets an Error
 * (ConnectionMessageHandler.handleException), always; DBusConnection is final, MessageFactory is final, and the
 * call's serial is not in DBusCallInfo, so a handler can neither skip that reply nor send one of its own in its
 * place. What it can choose is the exception, and the Error's name is the exception's class name. So a withheld
 * call throws {@link #WITHHELD}, and the connection's message writer (IMessageWriter, the step after the sender
 * queue: AbstractTransport.writeMessage) is wrapped to drop Errors of that name: the Error is made and queued
 * (a few microseconds, no I/O) but never written. The same writer sees each AccessDenied written, which is the
 * budget's write callback. dbus-java offers no setter for the writer; the ISocketProvider SPI that chooses one is
 * global to the JVM and the first provider found wins (the ui client's junixsocket provider would race it), so the
 * writer is wrapped on this one connection by reflection (AbstractConnectionBase.getTransport,
 * TransportConnection.writer): a documented workaround pinned to 5.2.2 and tested ({@code DenialBudgetOnBusTest}),
 * rather than a fork. If it ever fails to install, the gate answers every denial as before (see {@link #install}).
 */
final class ReplyGuard implements IMessageWriter {
    /** D-Bus error name nobody ever receives: {@link Withheld}'s class name, as dbus-java derives it. */
    static final String WITHHELD_NAME = Withheld.class.getName().replace('$', '.');
    /** The name of the Error dbus-java makes of the gate's DBus.Error.AccessDenied, derived the same way. */
    static final String ACCESS_DENIED = org.freedesktop.DBus.Error.AccessDenied.class.getName().replace('$', '.');
    /** Thrown for a call left unanswered; shared, it carries no stack or per-call data. */
    static final Withheld WITHHELD = new Withheld();

    private final IMessageWriter delegate;
    private final DenialBudget budget;
    private final AtomicLong dropped = new AtomicLong();

    private ReplyGuard(IMessageWriter delegate, DenialBudget budget) {
        this.delegate = delegate;
        this.budget = budget;
    }

    /**
     * Wraps {@code connection}'s writer and returns the guard; throws, changing nothing, when dbus-java's
     * internals are not as pinned.
     */
    static ReplyGuard install(DBusConnection connection, DenialBudget budget) throws ReflectiveOperationException {
        Method getTransport = AbstractConnectionBase.class.getDeclaredMethod("getTransport");
        getTransport.setAccessible(true);
        AbstractTransport transport = (AbstractTransport) getTransport.invoke(connection);
        TransportConnection tc = transport.getTransportConnection();
        Field writer = TransportConnection.class.getDeclaredField("writer");
        writer.setAccessible(true);
        // Visible to dbus-java's sender thread through its executor's queue: every message sent after this
        // (each denial comes after the helper's objects are exported) is handed over after the write.
        IMessageWriter current = (IMessageWriter) writer.get(tc);
        if (current instanceof ReplyGuard g) {
            return g;
        }
        ReplyGuard guard = new ReplyGuard(current, budget);
        writer.set(tc, guard);
        if (tc.getWriter() != guard) {
            throw new ReflectiveOperationException("TransportConnection.writer did not take the wrapper");
        }
        return guard;
    }

    @Override
    public void writeMessage(Message m) throws IOException {
        if (m instanceof Error) {
            String name = m.getName();
            if (WITHHELD_NAME.equals(name)) {
                dropped.incrementAndGet();
                return;
            }
            if (ACCESS_DENIED.equals(name)) {
                try {
                    delegate.writeMessage(m);
                } finally {
                    budget.written(m.getDestination());
                }
                return;
            }
        }
        delegate.writeMessage(m);
    }

    @Override
    public boolean isClosed() {
        return delegate.isClosed();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }

    /** Errors for withheld calls that reached the writer and were dropped. */
    long dropped() {
        return dropped.get();
    }

    /** The marker exception of a withheld call (its Error is dropped by the writer, never sent). */
    static final class Withheld extends DBusExecutionException {
        private static final long serialVersionUID = 1L;

        Withheld() {
            super("withheld: the caller's budget of unwritten denials is spent");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this; // one shared instance; thrown per flooded call, a stack would be cost and no information
        }
    }
}
