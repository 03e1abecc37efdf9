package org.qemu.helpers.uiclient.display;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.FileDescriptor;
import org.freedesktop.dbus.connections.IDisconnectCallback;
import org.freedesktop.dbus.connections.impl.DirectConnection;
import org.freedesktop.dbus.connections.impl.DirectConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketPair;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * One registered listener: a socket pair whose one end goes to QEMU through
 * Console.RegisterListener(h), and a peer-to-peer D-Bus connection on the other end where this
 * side is the SASL client and exports /org/qemu/Display1/Listener before it reads anything
 * (shared/README.md, "The listener").
 */
final class ListenerSession implements AutoCloseable {
    private final DirectConnection connection;
    /** Set before we close the connection ourselves, so that is not reported as lost. */
    private final java.util.concurrent.atomic.AtomicBoolean closing;

    private ListenerSession(DirectConnection connection, java.util.concurrent.atomic.AtomicBoolean closing) {
        this.connection = connection;
        this.closing = closing;
    }

    private static void lost(java.util.concurrent.atomic.AtomicBoolean closing, Runnable onLost) {
        if (closing.compareAndSet(false, true)) {
            onLost.run();
        }
    }

    /**
     * Register {@code listener} with {@code console}. QEMU 7.2 authenticates the new connection
     * synchronously inside RegisterListener, so our SASL side runs on another thread meanwhile.
     * {@code onLost} runs if the connection breaks (not when we close it).
     */
    static ListenerSession register(Display1.Console console, ListenerAdapter listener, long timeoutMillis,
                                    Runnable onLost) throws IOException, DBusException {
        java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
        AFUNIXSocketPair<AFUNIXSocketChannel> pair = AFUNIXSocketPair.open();
        AFUNIXSocketChannel ours = pair.getSocket1();
        AFUNIXSocketChannel theirs = pair.getSocket2();
        DirectConnection dc = null;
        try {
            dc = DirectConnectionBuilder.forAddress(PairTransport.ADDRESS)
                    .transportConfig().withAdditionalConfig(PairTransport.CHANNEL_KEY, ours)
                    .withAdditionalConfig(PairTransport.FAST_LISTENER_KEY, listener.pixels()).back()
                    // Scanout and Update must apply in order: one method-call thread.
                    .receivingThreadConfig().withMethodCallThreadCount(1).connectionConfig()
                    .withDisconnectCallback(new IDisconnectCallback() {
                        @Override
                        public void disconnectOnError(IOException e) {
                            lost(closing, onLost);
                        }

                        @Override
                        public void clientDisconnect() {
                            lost(closing, onLost);
                        }

                        @Override
                        public void exceptionOnTerminate(IOException e) {
                            lost(closing, onLost);
                        }
                    })
                    .build();
            dc.exportObject(Display1.LISTENER_PATH, listener);
            DirectConnection started = dc;
            CompletableFuture<Void> auth = CompletableFuture.runAsync(() -> {
                try {
                    started.listen();
                } catch (IOException e) {
                    throw new IllegalStateException("listener connection failed: " + e.getMessage(), e);
                }
            });
            int fd = FileDescriptorCast.using(theirs.getFileDescriptor()).as(Integer.class);
            console.RegisterListener(new FileDescriptor(fd));
            auth.get(timeoutMillis, TimeUnit.MILLISECONDS);
            return new ListenerSession(dc, closing);
        } catch (Exception e) {
            closing.set(true);
            if (dc != null) {
                dc.disconnect();
            }
            ours.close();
            if (e instanceof DBusException) {
                throw (DBusException) e;
            }
            if (e instanceof IOException) {
                throw (IOException) e;
            }
            throw new IOException("registering the display listener failed: " + e.getMessage(), e);
        } finally {
            releaseWithoutShutdown(theirs);
        }
    }

    /**
     * Drop our copy of the end QEMU now holds. junixsocket's close() calls shutdown(2) even with
     * setShutdownOnClose(false), which cuts the socket QEMU shares; closing the channel's own
     * FileDescriptor through a FileInputStream is a plain close(2) and also marks that
     * descriptor invalid, so neither the channel's close() nor its GC cleaner touches the number
     * again. QEMU closing its end then reaches us as EOF.
     */
    private static void releaseWithoutShutdown(AFUNIXSocketChannel theirs) {
        try {
            new java.io.FileInputStream(theirs.getFileDescriptor()).close();
            theirs.close();
        } catch (IOException e) {
            // already closed
        }
    }

    boolean isConnected() {
        return connection.isConnected();
    }

    @Override
    public void close() {
        closing.set(true);
        connection.disconnect();
    }
}
