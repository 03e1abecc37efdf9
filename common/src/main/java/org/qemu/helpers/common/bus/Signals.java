package org.qemu.helpers.common.bus;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBus;
import org.freedesktop.dbus.messages.DBusSignal;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.common.log.EventRateLimit;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.common.trust.Caller;
import org.qemu.helpers.common.trust.PeerTrust;
import org.qemu.helpers.common.trust.TrustLevel;

/**
 * Emits a helper's signals only to the peers allowed to read what they carry. A broadcast
 * signal reaches every peer the bus policy lets receive it (in the split layouts: all of
 * them), so each signal is sent as one unicast copy per entitled peer instead (D-Bus
 * specification "Message Routing": a signal with a destination goes to that peer only).
 * The peers are the unique names on the bus, followed through NameOwnerChanged; a VM's bus
 * has a handful, so a copy per peer is cheap.
 * <p>
 * But not free, and not bounded by itself: dbus-java queues every message for its one sender
 * thread without a limit, method replies behind them. The load run (64 clients, DHCP back to
 * back: two lease signals times ~70 peers, thousands of copies a second) filled that queue until
 * slirp-dhcp's 64 MiB heap ran out and its replies stopped. So the copies go through a token
 * bucket ({@link #COPIES_BURST} at once, {@link #COPIES_PER_SECOND} a second): a signal over it is
 * dropped for every peer (never for some), counted, and logged at most once a second. D-Bus
 * promises no signal delivery to a slow reader either (dbus-daemon drops for a full queue); a
 * reader that must not miss state reads it with the method (ListLeases, GetAll).
 */
public final class Signals {
    /** What a signal carries needs this level to read unless the caller says otherwise, like properties. */
    public static final TrustLevel DEFAULT_LEVEL = TrustLevel.HELPER;

    private final DBusConnection connection;
    private final PeerTrust trust;
    private final HelperLog log;
    private final Set<String> peers = ConcurrentHashMap.newKeySet();
    /** Signal copies queued at once, then per second, before signals are dropped. */
    static final int COPIES_BURST = 4_000;
    static final int COPIES_PER_SECOND = 2_000;
    private final EventRateLimit copies = new EventRateLimit(COPIES_BURST, COPIES_PER_SECOND,
            () -> System.nanoTime() / 1_000_000L);
    /** The drop warning, at most one line a second (the next one written says how many were left out). */
    private final EventLog dropLog;
    private final AtomicLong dropped = new AtomicLong();

    Signals(DBusConnection connection, PeerTrust trust, HelperLog log) throws DBusException {
        this.connection = connection;
        this.trust = trust;
        this.log = log;
        this.dropLog = new EventRateLimit(1, 1, () -> System.nanoTime() / 1_000_000L).limit(log);
        DBus daemon = connection.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
        connection.addSigHandler(DBus.NameOwnerChanged.class, sig -> {
            if (sig.name.startsWith(":")) {
                if (sig.newOwner.isEmpty()) {
                    peers.remove(sig.name);
                } else {
                    peers.add(sig.name);
                }
            }
        });
        for (String n : daemon.ListNames()) {
            if (n.startsWith(":")) {
                peers.add(n);
            }
        }
    }

    /** Sends {@code signal} to every peer of level {@link #DEFAULT_LEVEL} or above. */
    public void sendMessage(DBusSignal signal) {
        send(signal, DEFAULT_LEVEL);
    }

    /** Sends {@code signal} to every peer of level {@code needed} or above. */
    public void send(DBusSignal signal, TrustLevel needed) {
        sendEach(caller -> caller.has(needed) ? signal : null, signal.getInterface() + "." + signal.getName());
    }

    /**
     * Sends each peer the signal {@code perPeer} builds for it (null: nothing for that peer),
     * for signals whose content depends on the reader, such as PropertiesChanged.
     */
    void sendEach(Function<Caller, DBusSignal> perPeer, String what) {
        String self = connection.getUniqueName();
        byte endian = connection.getMessageFactory().getEndianess();
        Map<String, DBusSignal> toSend = new LinkedHashMap<>();
        for (String peer : List.copyOf(peers)) {
            if (peer.equals(self)) {
                continue;
            }
            Caller caller;
            try {
                caller = trust.classify(peer);
            } catch (PeerTrust.PeerUnknownException e) {
                peers.remove(peer); // it left before we heard NameOwnerChanged
                continue;
            }
            try {
                DBusSignal s = perPeer.apply(caller);
                if (s != null) {
                    toSend.put(peer, s);
                }
            } catch (DBusExecutionException e) {
                log.warn("signal-failed", "signal", what, "destination", peer, "error", e.getMessage());
            }
        }
        if (toSend.isEmpty()) {
            return;
        }
        if (copies.admit("copies", toSend.size()) < 0) {
            dropLog.warn("signals-dropped", "signal", what, "copies", toSend.size(), "dropped_total",
                    dropped.incrementAndGet(), "limit_per_second", COPIES_PER_SECOND);
            return;
        }
        for (Map.Entry<String, DBusSignal> e : toSend.entrySet()) {
            try {
                connection.sendMessage(new UnicastSignal(endian, e.getValue(), e.getKey()));
            } catch (DBusException | DBusExecutionException ex) {
                log.warn("signal-failed", "signal", what, "destination", e.getKey(), "error", ex.getMessage());
            }
        }
    }

    /** Signals dropped by the copy limit since start (each dropped for every peer). */
    public long dropped() {
        return dropped.get();
    }

    /** The unique names currently followed (for tests). */
    Set<String> peers() {
        return Set.copyOf(peers);
    }
}
