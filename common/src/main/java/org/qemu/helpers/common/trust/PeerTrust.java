package org.qemu.helpers.common.trust;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBus;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;

/**
 * Classifies bus peers: asks the bus daemon for a unique name's credentials
 * (GetConnectionCredentials), caches them per unique name (unique names are never reused,
 * D-Bus spec "Bus Names") and drops an entry when its name leaves the bus
 * (NameOwnerChanged), then applies the trust policy.
 */
public final class PeerTrust implements AutoCloseable {
    private static final int MAX_CACHED = 4096;

    private final DBusConnection connection;
    private final DBus daemon;
    private final TrustPolicy policy;
    private final Map<String, PeerCredentials> cache = new ConcurrentHashMap<>();
    private final AutoCloseable ownerWatch;

    public PeerTrust(DBusConnection connection, TrustPolicy policy) throws DBusException {
        this.connection = connection;
        this.policy = policy;
        this.daemon = connection.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
        this.ownerWatch = connection.addSigHandler(DBus.NameOwnerChanged.class, sig -> {
            if (sig.name.startsWith(":") && sig.newOwner.isEmpty()) {
                cache.remove(sig.name);
            }
        });
    }

    public TrustPolicy policy() {
        return policy;
    }

    /** The credentials the daemon reports for {@code uniqueName} (cached). */
    public PeerCredentials credentials(String uniqueName) throws PeerUnknownException {
        PeerCredentials c = cache.get(uniqueName);
        if (c != null) {
            return c;
        }
        Map<String, Variant<?>> raw;
        try {
            raw = daemon.GetConnectionCredentials(uniqueName);
        } catch (DBusExecutionException e) {
            throw new PeerUnknownException(uniqueName, e.getMessage());
        }
        c = parse(raw);
        if (cache.size() >= MAX_CACHED) {
            cache.clear(); // bounded: a flood of short-lived peers cannot grow it without end
        }
        cache.put(uniqueName, c);
        return c;
    }

    /** Classifies {@code uniqueName} by the policy. */
    public Caller classify(String uniqueName) throws PeerUnknownException {
        PeerCredentials c = credentials(uniqueName);
        return new Caller(uniqueName, c, policy.classify(c));
    }

    /**
     * The classified owner of a well-known name, or empty when nobody owns it; lets a client
     * check who answers for a name before it trusts what the name says.
     */
    public Optional<Caller> ofOwner(String busName) {
        try {
            String owner = daemon.GetNameOwner(busName);
            return Optional.of(classify(owner));
        } catch (DBusExecutionException | PeerUnknownException e) {
            return Optional.empty();
        }
    }

    /** Number of cached entries (for tests and statistics). */
    public int cachedPeers() {
        return cache.size();
    }

    static PeerCredentials parse(Map<String, Variant<?>> raw) {
        long uid = number(raw.get("UnixUserID"), -1);
        long pid = number(raw.get("ProcessID"), -1);
        List<Long> gids = new ArrayList<>();
        Variant<?> g = raw.get("UnixGroupIDs");
        if (g != null && g.getValue() instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Number n) {
                    gids.add(n.longValue());
                }
            }
        }
        Optional<String> label = Optional.empty();
        Variant<?> l = raw.get("LinuxSecurityLabel");
        if (l != null && l.getValue() instanceof byte[] bytes) {
            int n = bytes.length;
            while (n > 0 && bytes[n - 1] == 0) {
                n--; // the label is sent with its trailing NUL
            }
            label = Optional.of(new String(bytes, 0, n, StandardCharsets.UTF_8));
        }
        return new PeerCredentials(uid, gids, pid, label);
    }

    private static long number(Variant<?> v, long dflt) {
        if (v == null) {
            return dflt;
        }
        Object o = v.getValue();
        if (o instanceof UInt32 u) {
            return u.longValue();
        }
        return o instanceof Number n ? n.longValue() : dflt;
    }

    /** Stops following NameOwnerChanged. */
    @Override
    public void close() {
        try {
            ownerWatch.close();
        } catch (Exception e) {
            // the connection is going away; nothing left to unsubscribe from
        }
    }

    /** The daemon does not know the peer (it left, or the name is malformed). */
    public static final class PeerUnknownException extends Exception {
        public PeerUnknownException(String name, String why) {
            super("peer " + name + " is unknown to the bus: " + why);
        }
    }
}
