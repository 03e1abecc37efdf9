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
     * {@link PixelSink} (the console's listener) whose Scanout/Update/Disable calls (sent without
     * a reply expected, as QEMU does) are read here from the wire bytes and applied on the reading
     * thread, in order, instead of going through dbus-java's per-element unmarshalling (see
     * {@link ListenerWire}).
     */
    public static final String FAST_LISTENER_KEY = "org.qemu.helpers.uiclient.fastListener";

    private AFUNIXSocketChannel channel;
    private final PixelSink fast;

    PairTransport(BusAddress address, TransportConfig config) throws TransportConfigurationException {
        super(address, config);
        Object ch = config.getAdditionalConfig().get(CHANNEL_KEY);
        if (!(ch instanceof AFUNIXSocketChannel)) {
            throw new TransportConfigurationException("qemupair transport needs a connected AFUNIXSocketChannel");
        }
        channel = (AFUNIXSocketChannel) ch;
        Object f = config.getAdditionalConfig().get(FAST_LISTENER_KEY);
        fast = f instanceof PixelSink l ? l : null;
        boolean server = Boolean.TRUE.equals(config.getAdditionalConfig().get(SASL_SERVER_KEY));
        getSaslConfig().setMode(server ? SASL.SaslMode.SERVER : SASL.SaslMode.CLIENT);
        getSaslConfig().setAuthMode(SASL.AUTH_EXTERNAL);
    }

    /** D-Bus specification, "Message Format": a whole message is at most 2^27 bytes. */
    private static final long MAX_MESSAGE = 1L << 27;
    /** What one read(2) may take from the socket (a text row Update is 46 KiB, a cursor cell 600 bytes). */
    private static final int RECEIVE_BUFFER = 64 * 1024;
    /** A message buffer grown beyond this (a hostile or huge Scanout) is not kept for the next message. */
    private static final int KEEP_MESSAGE_BUFFER = 16 * 1024 * 1024;
    /**
     * Bytes read from the socket and not yet parsed, between position and limit. Direct, so that
     * junixsocket receives into it without its own per-read buffer lease and copy.
     */
    private final ByteBuffer received = ByteBuffer.allocateDirect(RECEIVE_BUFFER).limit(0);
    /** The message being parsed, whole (fixed part, header fields, body), reused while small enough. */
    private byte[] message = new byte[RECEIVE_BUFFER];
    /** Messages dropped because dbus-java could not build them. */
    private final java.util.concurrent.atomic.AtomicLong unparsable = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Read the next message from the socket ourselves (blocking, on dbus-java's one reading
     * thread) instead of dbus-java's reader: QEMU's Scanout/Update/Disable calls to our
     * listener, recognised from the raw header by {@link ListenerHeader}, are applied here in
     * order and never become a dbus-java Message (QEMU re-sends the hidden text cursor's cell 33
     * times a second, so this path is most of a still screen's cost: one read(2) per message
     * when one is waiting, no allocation). Every other message is handed to dbus-java exactly as
     * its own reader would build it.
     */
    @Override
    public Message readMessage() throws IOException, DBusException {
        if (fast == null) {
            return super.readMessage();
        }
        SocketChannel ch = getTransportConnection().getChannel();
        while (true) {
            byte[] m = message;
            take(ch, m, 0, 16);
            boolean big = m[0] == 'B';
            if (!big && m[0] != 'l') {
                throw new IOException("listener connection: bad endianness byte " + m[0]);
            }
            long bodyLen = ListenerHeader.u32(m, 4, big);
            long fieldsLen = ListenerHeader.u32(m, 12, big);
            long padded = (fieldsLen + 7) & ~7L;
            long total = 16 + padded + bodyLen;
            if (total > MAX_MESSAGE) {
                throw new IOException("listener connection: message of " + total
                        + " bytes exceeds the D-Bus limit of " + MAX_MESSAGE);
            }
            if (m.length < total) {
                m = java.util.Arrays.copyOf(m, (int) total);
                if (total <= KEEP_MESSAGE_BUFFER) {
                    message = m;
                }
            }
            take(ch, m, 16, (int) (total - 16));
            int bodyAt = (int) (16 + padded);
            ListenerHeader.Kind kind = ListenerHeader.classify(m, m, 16, (int) fieldsLen);
            if (kind == ListenerHeader.Kind.OTHER || !applied(kind, m, bodyAt, (int) bodyLen, big)) {
                try {
                    return dbusJavaMessage(m, (int) padded, bodyAt, (int) bodyLen);
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
    private static Message dbusJavaMessage(byte[] m, int padded, int bodyAt, int bodyLen)
            throws DBusException, MessageTypeException {
        byte[] header = new byte[padded + 8];
        System.arraycopy(m, 12, header, 0, 4);
        System.arraycopy(m, 16, header, 8, padded);
        return MessageFactory.createMessage(m[1], java.util.Arrays.copyOf(m, 12), header,
                java.util.Arrays.copyOfRange(m, bodyAt, bodyAt + bodyLen), null);
    }

    /**
     * Fill {@code b[off .. off+len)} from what was received, reading from the socket when that
     * runs out (as much as it has, up to {@link #RECEIVE_BUFFER}: the rest stays for the next message).
     */
    private void take(SocketChannel ch, byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (!received.hasRemaining()) {
                received.clear();
                int n;
                do {
                    n = ch.read(received);
                } while (n == 0);
                if (n < 0) {
                    throw new EOFException("listener connection closed by QEMU");
                }
                received.flip();
            }
            int n = Math.min(len, received.remaining());
            received.get(b, off, n);
            off += n;
            len -= n;
        }
    }

    /** Apply a pixel call directly; false (the message goes the ordinary way) if its body is not one. */
    private boolean applied(ListenerHeader.Kind kind, byte[] m, int bodyAt, int bodyLen, boolean big) {
        switch (kind) {
            case UPDATE -> {
                ListenerWire.Update u = ListenerWire.update(m, bodyAt, bodyLen, big);
                if (u == null) {
                    return false;
                }
                fast.update(u.x(), u.y(), u.width(), u.height(), u.stride(), u.format(), m, u.dataOffset(),
                        u.dataLength());
                return true;
            }
            case SCANOUT -> {
                ListenerWire.Scanout s = ListenerWire.scanout(m, bodyAt, bodyLen, big);
                if (s == null) {
                    return false;
                }
                fast.scanout(s.width(), s.height(), s.stride(), s.format(), m, s.dataOffset(), s.dataLength());
                return true;
            }
            case DISABLE -> {
                if (bodyLen != 0) {
                    return false;
                }
                fast.disable();
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
