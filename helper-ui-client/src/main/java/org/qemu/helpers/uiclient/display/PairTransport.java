package org.qemu.helpers.uiclient.display;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.freedesktop.dbus.connections.BusAddress;
import org.freedesktop.dbus.connections.SASL;
import org.freedesktop.dbus.connections.config.TransportConfig;
import org.freedesktop.dbus.connections.transports.AbstractTransport;
import org.freedesktop.dbus.connections.transports.AbstractUnixTransport;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.MessageTypeException;
import org.freedesktop.dbus.exceptions.TransportConfigurationException;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MessageFactory;
import org.freedesktop.dbus.spi.transport.ITransportProvider;
import org.freedesktop.dbus.types.UInt32;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.qemu.helpers.uiclient.engine.ListenerHeader;
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

    /** D-Bus specification, "Message Format": a whole message is at most 2^27 bytes. */
    private static final long MAX_MESSAGE = 1L << 27;
    /** The fixed part plus the header-field array's length, reused for every message. */
    private final byte[] fixed = new byte[16];
    /** The header fields, reused (grown to the largest header seen, at most MAX_MESSAGE). */
    private byte[] fields = new byte[256];
    /** Messages dropped because dbus-java could not build them. */
    private final java.util.concurrent.atomic.AtomicLong unparsable = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Read the next message from the socket ourselves (blocking, on dbus-java's one reading
     * thread) instead of dbus-java's reader: QEMU's Scanout/Update/Disable calls to our
     * listener, recognised from the raw header by {@link ListenerHeader}, are applied here in
     * order and never become a dbus-java Message (whose header parsing was most of a still
     * screen's cost: QEMU re-sends the hidden text cursor's cell 33 times a second). Every other
     * message is handed to dbus-java exactly as its own reader would build it.
     */
    @Override
    public Message readMessage() throws IOException, DBusException {
        if (fast == null) {
            return super.readMessage();
        }
        SocketChannel ch = getTransportConnection().getChannel();
        while (true) {
            readFully(ch, fixed, 0, 16);
            boolean big = fixed[0] == 'B';
            if (!big && fixed[0] != 'l') {
                throw new IOException("listener connection: bad endianness byte " + fixed[0]);
            }
            long bodyLen = ListenerHeader.u32(fixed, 4, big);
            long fieldsLen = ListenerHeader.u32(fixed, 12, big);
            long padded = (fieldsLen + 7) & ~7L;
            if (16 + padded + bodyLen > MAX_MESSAGE) {
                throw new IOException("listener connection: message of " + (16 + padded + bodyLen)
                        + " bytes exceeds the D-Bus limit of " + MAX_MESSAGE);
            }
            if (fields.length < padded) {
                fields = new byte[(int) padded];
            }
            readFully(ch, fields, 0, (int) padded);
            byte[] body = new byte[(int) bodyLen];
            readFully(ch, body, 0, body.length);
            ListenerHeader.Kind kind = ListenerHeader.classify(fixed, fields, (int) fieldsLen);
            if (kind == ListenerHeader.Kind.OTHER || !applied(kind, body, big)) {
                try {
                    return dbusJavaMessage((int) padded, body);
                } catch (DBusException | MessageTypeException | RuntimeException e) {
                    // as dbus-java's reader: a message it cannot build is dropped, the link stays
                    long n = unparsable.incrementAndGet();
                    if (n <= 10 || n % 1000 == 0) {
                        getLogger().warn("listener message dropped ({} so far): {}", n, e.toString());
                    }
                }
            }
        }
    }

    /** The Message dbus-java's own reader would build (AbstractInputStreamMessageReader's layout). */
    private Message dbusJavaMessage(int padded, byte[] body) throws DBusException, MessageTypeException {
        byte[] header = new byte[padded + 8];
        System.arraycopy(fixed, 12, header, 0, 4);
        System.arraycopy(fields, 0, header, 8, padded);
        return MessageFactory.createMessage(fixed[1], java.util.Arrays.copyOf(fixed, 12), header, body, null);
    }

    private static void readFully(SocketChannel ch, byte[] b, int off, int len) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                throw new EOFException("listener connection closed by QEMU");
            }
        }
    }

    /** Apply a pixel call directly; false (the message goes the ordinary way) if its body is not one. */
    private boolean applied(ListenerHeader.Kind kind, byte[] body, boolean big) {
        switch (kind) {
            case UPDATE -> {
                ListenerWire.Update u = ListenerWire.update(body, big);
                if (u == null) {
                    return false;
                }
                fast.Update(u.x(), u.y(), u.width(), u.height(), new UInt32(u.stride()), new UInt32(u.format()), u.data());
                return true;
            }
            case SCANOUT -> {
                ListenerWire.Scanout s = ListenerWire.scanout(body, big);
                if (s == null) {
                    return false;
                }
                fast.Scanout(new UInt32(s.width()), new UInt32(s.height()), new UInt32(s.stride()),
                        new UInt32(s.format()), s.data());
                return true;
            }
            case DISABLE -> {
                if (body.length != 0) {
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
