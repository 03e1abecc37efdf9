package org.qemu.helpers.common.bus;

import java.util.ArrayList;
import java.util.Iterator;
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
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.types.Variant;
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
 * The peers are the unique names on the bus, followed through NameOwnerChanged.
 * <p>
 * The copies must never hold back a method reply. dbus-java 5.2.2 writes every message, replies
 * and signals alike, from one FIFO queue without a bound (AbstractConnectionBase.sendMessage),
 * and that queue drains only as fast as the bus daemon reads: the load run (64 clients, DHCP back
 * to back: two lease signals times ~70 peers) had 30,365 signal copies queued ahead of 35 replies
 * and the callers timed out after 20 s. A rate limit cannot fix that, the drain rate depends on the
 * daemon's load. So the limit is on the backlog: at most {@link #WINDOW} copies are handed to
 * dbus-java and not yet written (a reply waits behind at most that many), the rest wait here, at
 * most {@link #MAX_BACKLOG} copies. Over it the oldest waiting signals are dropped (all their
 * waiting copies, so a signal is rarely delivered to some peers only), counted, and logged at most
 * once a second; a PropertiesChanged still waiting for a peer is merged with the next one for the
 * same object and interface (the newer values win). The caller never blocks. D-Bus promises no
 * signal delivery to a slow reader either (dbus-daemon drops for a full queue); a reader that must
 * not miss state reads it with the method (ListLeases, GetAll).
 * <p>
 * A copy for a peer that left before its NameOwnerChanged arrived comes back from dbus-daemon as an
 * error nobody waits for, and dbus-java 5.2.2 keeps those in an unbounded queue
 * (AbstractConnectionBase.pendingErrorQueue: 15,417 of them in the load run's heap). The pump
 * drains that queue at least every {@link #DRAIN_MILLIS} and counts what it took
 * ({@link #undeliverable}); the helpers never read it otherwise (their calls have their own replies).
 */
public final class Signals implements AutoCloseable {
    /** What a signal carries needs this level to read unless the caller says otherwise, like properties. */
    public static final TrustLevel DEFAULT_LEVEL = TrustLevel.HELPER;
    /** Copies handed to dbus-java's sender and not yet written: what a method reply may wait behind. */
    static final int WINDOW = 64;
    /** Copies waiting here for the window; over it the oldest signals are dropped. */
    static final int MAX_BACKLOG = 4096;
    /** The longest the daemon's errors for undeliverable copies stay queued in dbus-java. */
    static final long DRAIN_MILLIS = 500;

    private final DBusConnection connection;
    private final PeerTrust trust;
    private final HelperLog log;
    private final Set<String> peers = ConcurrentHashMap.newKeySet();

    /** One signal's copy for one peer, waiting for the window. */
    private record Copy(long signal, String peer, DBusSignal message, String what) {
    }

    /** The key of a PropertiesChanged copy that a newer one for the same peer, object and interface replaces. */
    private record Coalesce(String peer, String path, String iface) {
    }

    private final Object lock = new Object();
    /** Waiting copies, oldest first; keyed by a Coalesce or by a unique Long. Guarded by {@link #lock}. */
    private final LinkedHashMap<Object, Copy> waiting = new LinkedHashMap<>();
    private long nextSignal; // guarded by lock
    private long nextKey; // guarded by lock
    private int inFlight; // guarded by lock
    private boolean closed; // guarded by lock
    private final Thread pump;

    /** The drop warning, at most one line a second (the next one written says how many were left out). */
    private final EventLog dropLog;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong droppedCopies = new AtomicLong();
    private final AtomicLong coalesced = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong undeliverable = new AtomicLong();

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
        this.pump = new Thread(this::pumpLoop, "signal-pump");
        pump.setDaemon(true);
        pump.start();
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
     * for signals whose content depends on the reader, such as PropertiesChanged. Never blocks:
     * the copies are queued for the window (see the class comment).
     */
    void sendEach(Function<Caller, DBusSignal> perPeer, String what) {
        String self = connection.getUniqueName();
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
        if (!toSend.isEmpty()) {
            enqueue(toSend, what);
        }
    }

    private void enqueue(Map<String, DBusSignal> toSend, String what) {
        long droppedNow = 0;
        long droppedCopiesNow = 0;
        synchronized (lock) {
            if (closed) {
                return;
            }
            long id = nextSignal++;
            for (Map.Entry<String, DBusSignal> e : toSend.entrySet()) {
                DBusSignal message = e.getValue();
                Object key;
                if (message instanceof Properties.PropertiesChanged pc) {
                    key = new Coalesce(e.getKey(), pc.getPath(), pc.getInterfaceName());
                    Copy older = waiting.remove(key);
                    if (older != null) {
                        message = merged((Properties.PropertiesChanged) older.message(), pc);
                        coalesced.incrementAndGet();
                    }
                } else {
                    key = nextKey++;
                }
                waiting.put(key, new Copy(id, e.getKey(), message, what)); // a merged one goes last: newest values
            }
            while (waiting.size() > MAX_BACKLOG) {
                Iterator<Copy> it = waiting.values().iterator();
                long oldest = it.next().signal();
                do {
                    it.remove();
                    droppedCopiesNow++;
                } while (it.hasNext() && it.next().signal() == oldest);
                droppedNow++;
            }
            lock.notifyAll();
        }
        if (droppedNow > 0) {
            dropLog.warn("signals-dropped", "signal", what, "dropped_total", dropped.addAndGet(droppedNow),
                    "copies_dropped_total", droppedCopies.addAndGet(droppedCopiesNow), "backlog", MAX_BACKLOG,
                    "reason", "the bus reads slower than signals are made; replies are not held back");
        }
    }

    /** PropertiesChanged {@code older} then {@code newer} as one: newer values win, D-Bus spec "org.freedesktop.DBus.Properties". */
    private static DBusSignal merged(Properties.PropertiesChanged older, Properties.PropertiesChanged newer) {
        Map<String, Variant<?>> changed = new LinkedHashMap<>(older.getPropertiesChanged());
        List<String> invalidated = new ArrayList<>(older.getPropertiesRemoved());
        newer.getPropertiesRemoved().forEach(changed::remove);
        invalidated.removeAll(newer.getPropertiesChanged().keySet());
        changed.putAll(newer.getPropertiesChanged());
        for (String n : newer.getPropertiesRemoved()) {
            if (!invalidated.contains(n)) {
                invalidated.add(n);
            }
        }
        try {
            return new Properties.PropertiesChanged(newer.getPath(), newer.getInterfaceName(), changed, invalidated);
        } catch (DBusException e) {
            return newer; // cannot happen for values that made the two signals; the newer values are still right
        }
    }

    /** Hands waiting copies to dbus-java while fewer than {@link #WINDOW} of them are unwritten. */
    private void pumpLoop() {
        byte endian = connection.getMessageFactory().getEndianess();
        long drained = System.nanoTime();
        while (true) {
            if (System.nanoTime() - drained >= DRAIN_MILLIS * 1_000_000L) {
                drainUndeliverable();
                drained = System.nanoTime();
            }
            Copy c;
            synchronized (lock) {
                if (!closed && (waiting.isEmpty() || inFlight >= WINDOW)) {
                    try {
                        lock.wait(DRAIN_MILLIS);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                if (waiting.isEmpty() || inFlight >= WINDOW) {
                    continue;
                }
                Iterator<Copy> it = waiting.values().iterator();
                c = it.next();
                it.remove();
                inFlight++;
            }
            try {
                connection.sendMessage(new UnicastSignal(endian, c.message(), c.peer(), this::wrote));
            } catch (DBusException | RuntimeException e) {
                wrote();
                log.warn("signal-failed", "signal", c.what(), "destination", c.peer(), "error", e.getMessage());
            }
        }
    }

    /** Takes the errors nobody waits for out of dbus-java's queue (see the class comment). */
    private void drainUndeliverable() {
        try {
            while (connection.getError() != null) {
                undeliverable.incrementAndGet();
            }
        } catch (RuntimeException e) {
            undeliverable.incrementAndGet(); // an error dbus-java could not turn into an exception: taken all the same
        }
    }

    /** A copy left the window: dbus-java is writing it (or gave it up). */
    private void wrote() {
        written.incrementAndGet();
        synchronized (lock) {
            inFlight--;
            lock.notifyAll();
        }
    }

    /** Waits up to {@code millis} until every queued copy is written (a helper's last PropertiesChanged on stop). */
    void flush(long millis) {
        long end = System.nanoTime() + millis * 1_000_000L;
        synchronized (lock) {
            long left;
            while ((!waiting.isEmpty() || inFlight > 0) && (left = end - System.nanoTime()) > 0) {
                try {
                    lock.wait(Math.max(1, left / 1_000_000L));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Stops the pump; copies still waiting are not sent. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            waiting.clear();
            lock.notifyAll();
        }
    }

    /** Signals dropped for a full backlog since start (all their waiting copies). */
    public long dropped() {
        return dropped.get();
    }

    /** Signal copies dropped for a full backlog since start. */
    public long droppedCopies() {
        return droppedCopies.get();
    }

    /** PropertiesChanged copies merged into a newer one while waiting. */
    public long coalesced() {
        return coalesced.get();
    }

    /** Errors for copies the daemon could not deliver (and any other error nobody waited for), drained. */
    public long undeliverable() {
        return undeliverable.get();
    }

    /** Copies handed to dbus-java's writer since start. */
    public long written() {
        return written.get();
    }

    /** Copies waiting plus copies handed to dbus-java and not yet written. */
    public int backlog() {
        synchronized (lock) {
            return waiting.size() + inFlight;
        }
    }

    /** The unique names currently followed (for tests). */
    Set<String> peers() {
        return Set.copyOf(peers);
    }
}
