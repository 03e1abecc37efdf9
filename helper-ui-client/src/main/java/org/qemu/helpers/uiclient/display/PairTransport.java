package org.qemu.helpers.uiclient.display;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import org.freedesktop.dbus.connections.BusAddress;
import org.freedesktop.dbus.connections.SASL;
import org.freedesktop.dbus.connections.config.TransportConfig;
import org.freedesktop.dbus.connections.transports.AbstractTransport;
import org.freedesktop.dbus.connections.transports.AbstractUnixTransport;
import org.freedesktop.dbus.exceptions.TransportConfigurationException;
import org.freedesktop.dbus.spi.transport.ITransportProvider;
import org.newsclub.net.unix.AFUNIXSocketChannel;

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

    private AFUNIXSocketChannel channel;

    PairTransport(BusAddress address, TransportConfig config) throws TransportConfigurationException {
        super(address, config);
        Object ch = config.getAdditionalConfig().get(CHANNEL_KEY);
        if (!(ch instanceof AFUNIXSocketChannel)) {
            throw new TransportConfigurationException("qemupair transport needs a connected AFUNIXSocketChannel");
        }
        channel = (AFUNIXSocketChannel) ch;
        boolean server = Boolean.TRUE.equals(config.getAdditionalConfig().get(SASL_SERVER_KEY));
        getSaslConfig().setMode(server ? SASL.SaslMode.SERVER : SASL.SaslMode.CLIENT);
        getSaslConfig().setAuthMode(SASL.AUTH_EXTERNAL);
    }

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
