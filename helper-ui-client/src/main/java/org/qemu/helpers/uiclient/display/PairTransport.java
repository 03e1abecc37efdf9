package org.qemu.helpers.uiclient.display;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import org.freedesktop.dbus.connections.BusAddress;
import org.freedesktop.dbus.connections.SASL;
import org.freedesktop.dbus.connections.config.TransportConfig;
import org.freedesktop.dbus.connections.transports.AbstractTransport;
import org.freedesktop.dbus.connections.transports.AbstractUnixTransport;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.TransportConfigurationException;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.constants.Flags;
import org.freedesktop.dbus.spi.transport.ITransportProvider;
import org.freedesktop.dbus.types.UInt32;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.qemu.helpers.uiclient.engine.ListenerWire;

/**
 * A dbus-java transport over one already-connected end of a Unix socket pair, for the
 * peer-to-peer listener connection QEMU opens on the other end.
 *
 * <p>The address says {@code listen=true} only so that {@code DirectConnection} does not start
 * reading in its constructor (the listener object must be exported first, or QEMU's first calls
 * race the export); the SASL side is nevertheless forced to CLIENT because QEMU authenticates as
 * the server on the fd it is given (GDBus G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER). The
 * channel travels in the transport config's additional settings under {@link #CHANNEL_KEY}.
 */
public final class PairTransport extends AbstractUnixTransport {
    /** Bus type of the addresses this transport serves ({@code qemupair:listen=true}). */
    public static final String BUS_TYPE = "QEMUPAIR";
    public static final String ADDRESS = "qemupair:listen=true";
    public static final String CHANNEL_KEY = "org.qemu.helpers.uiclient.channel";
    /** Set to Boolean.TRUE to be the SASL server instead (QEMU's side; used by tests that play QEMU). */
    public static final String SASL_SERVER_KEY = "org.qemu.helpers.uiclient.saslServer";

    /**
     * Listener whose Scanout/Update/Disable calls (sent without a reply expected, as QEMU does)
     * are read here from the wire bytes and applied on the reading thread, in order, instead of
     * going through dbus-java's per-element unmarshalling (see {@link ListenerWire}).
     */
    public static final String FAST_LISTENER_KEY = "org.qemu.helpers.uiclient.fastListener";

    private AFUNIXSocketChannel channel;
    private final Listener fast;

    PairTransport(BusAddress address, TransportConfig config) throws TransportConfigurationException {
        super(address, config);
        Object ch = config.getAdditionalConfig().get(CHANNEL_KEY);
        if (!(ch instanceof AFUNIXSocketChannel)) {
            throw new TransportConfigurationException("qemupair transport needs a connected AFUNIXSocketChannel");
        }
        channel = (AFUNIXSocketChannel) ch;
        Object f = config.getAdditionalConfig().get(FAST_LISTENER_KEY);
        fast = f instanceof Listener l ? l : null;
        boolean server = Boolean.TRUE.equals(config.getAdditionalConfig().get(SASL_SERVER_KEY));
        getSaslConfig().setMode(server ? SASL.SaslMode.SERVER : SASL.SaslMode.CLIENT);
        getSaslConfig().setAuthMode(SASL.AUTH_EXTERNAL);
    }

    @Override
    public Message readMessage() throws IOException, DBusException {
        while (true) {
            Message m = super.readMessage();
            if (fast == null || !(m instanceof MethodCall) || (m.getFlags() & Flags.NO_REPLY_EXPECTED) == 0
                    || !Display1.LISTENER_PATH.equals(m.getPath()) || !LISTENER_IFACE.equals(m.getInterface())
                    || !applied(m)) {
                return m;
            }
        }
    }

    /** Apply a pixel call directly; false (the message goes the ordinary way) if it is not one. */
    private boolean applied(Message m) {
        byte[][] wire = m.getWireData();
        byte[] body = wire.length > 2 ? wire[2] : null;
        boolean big = m.getEndianess() == 'B';
        String sig = m.getSig() == null ? "" : m.getSig();
        switch (m.getName()) {
            case "Update" -> {
                ListenerWire.Update u = "iiiiuuay".equals(sig) ? ListenerWire.update(body, big) : null;
                if (u == null) {
                    return false;
                }
                fast.Update(u.x(), u.y(), u.width(), u.height(), new UInt32(u.stride()), new UInt32(u.format()), u.data());
                return true;
            }
            case "Scanout" -> {
                ListenerWire.Scanout s = "uuuuay".equals(sig) ? ListenerWire.scanout(body, big) : null;
                if (s == null) {
                    return false;
                }
                fast.Scanout(new UInt32(s.width()), new UInt32(s.height()), new UInt32(s.stride()),
                        new UInt32(s.format()), s.data());
                return true;
            }
            case "Disable" -> {
                if (!sig.isEmpty()) {
                    return false;
                }
                fast.Disable();
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    private static final String LISTENER_IFACE = "org.qemu.Display1.Listener";

    @Override
    protected boolean hasFileDescriptorSupport() {
        return false; // gl=off: Scanout/Update carry pixels inline, no fds on this connection
    }

    @Override
    protected SocketChannel connectImpl() throws IOException {
        throw new IOException("qemupair transport is already connected; use listen()");
    }

    @Override
    protected SocketChannel acceptImpl() throws IOException {
        AFUNIXSocketChannel c = channel;
        if (c == null || !c.isOpen()) {
            throw new IOException("socket pair end already used or closed");
        }
        c.configureBlocking(true);
        return c;
    }

    @Override
    protected void bindImpl() {
        // nothing to bind: the socket pair is connected already
    }

    @Override
    protected boolean isBound() {
        return true;
    }

    @Override
    protected void closeTransport() throws IOException {
        AFUNIXSocketChannel c = channel;
        channel = null;
        if (c != null && c.isOpen()) {
            c.close();
        }
    }

    @Override
    public int getUid(SocketChannel sock) throws IOException {
        return (int) ((AFUNIXSocketChannel) sock).getPeerCredentials().getUid();
    }

    /** Registered in META-INF/services/org.freedesktop.dbus.spi.transport.ITransportProvider. */
    public static final class Provider implements ITransportProvider {
        @Override
        public String getTransportName() {
            return "qemu-socketpair";
        }

        @Override
        public AbstractTransport createTransport(BusAddress address, TransportConfig config)
                throws TransportConfigurationException {
            return new PairTransport(address, config);
        }

        @Override
        public String getSupportedBusType() {
            return BUS_TYPE;
        }

        @Override
        public String createDynamicSessionAddress(boolean listening) {
            return null;
        }
    }
}
