package org.qemu.helpers.common.discovery;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBus;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.Variant;
import org.qemu.helpers.common.trust.Caller;
import org.qemu.helpers.common.trust.PeerTrust;

/**
 * The helpers on a bus: every org.qemu.* name whose owner serves org.qemu.Helper1, with the
 * owner's pid, uid and trust level from the bus daemon. Follows helpers as they come and go
 * (NameOwnerChanged) and their Status (PropertiesChanged).
 */
public final class HelperDirectory implements AutoCloseable {
    /** What changed: a helper appeared, left, or changed its properties. */
    public record Event(Kind kind, HelperInfo helper) {
        public enum Kind { ADDED, REMOVED, CHANGED }
    }

    private final DBusConnection connection;
    private final PeerTrust trust;
    private final DBus daemon;
    private final Map<String, HelperInfo> helpers = new ConcurrentHashMap<>();
    private final List<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> subscriptions = new ArrayList<>();

    private HelperDirectory(DBusConnection connection, PeerTrust trust) throws DBusException {
        this.connection = connection;
        this.trust = trust;
        this.daemon = connection.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
    }

    /** Lists the helpers now on the bus and starts following them. */
    public static HelperDirectory open(DBusConnection connection, PeerTrust trust) throws DBusException {
        HelperDirectory d = new HelperDirectory(connection, trust);
        d.subscriptions.add(connection.addSigHandler(DBus.NameOwnerChanged.class, sig -> {
            if (isCandidate(sig.name)) {
                d.refresh(sig.name, sig.newOwner);
            }
        }));
        d.subscriptions.add(connection.addSigHandler(Properties.PropertiesChanged.class, sig -> {
            if (Helper1.PATH.equals(sig.getPath()) && Helper1.INTERFACE.equals(sig.getInterfaceName())) {
                d.statusChanged(sig.getSource(), sig.getPropertiesChanged());
            }
        }));
        for (String name : d.daemon.ListNames()) {
            if (isCandidate(name)) {
                d.refresh(name, null);
            }
        }
        return d;
    }

    /** The helpers now known, by bus name. */
    public List<HelperInfo> list() {
        List<HelperInfo> l = new ArrayList<>(helpers.values());
        l.sort(Comparator.comparing(HelperInfo::busName));
        return l;
    }

    public Optional<HelperInfo> find(String busName) {
        return Optional.ofNullable(helpers.get(busName));
    }

    public void addListener(Consumer<Event> listener) {
        listeners.add(listener);
    }

    private static boolean isCandidate(String name) {
        // org.qemu is QEMU itself (the display), org.qemu.VMState1 a shared queue, not a helper.
        return name.startsWith("org.qemu.") && !name.equals("org.qemu.VMState1");
    }

    private void refresh(String busName, String knownOwner) {
        String owner = knownOwner;
        if (owner == null) {
            try {
                owner = daemon.GetNameOwner(busName);
            } catch (RuntimeException e) {
                owner = "";
            }
        }
        HelperInfo old = owner.isEmpty() ? helpers.remove(busName) : null;
        if (old != null) {
            fire(Event.Kind.REMOVED, old);
            return;
        }
        if (owner.isEmpty()) {
            return;
        }
        Optional<HelperInfo> info = describe(busName, owner);
        if (info.isPresent()) {
            HelperInfo prev = helpers.put(busName, info.get());
            fire(prev == null ? Event.Kind.ADDED : Event.Kind.CHANGED, info.get());
        }
    }

    private Optional<HelperInfo> describe(String busName, String owner) {
        Map<String, Variant<?>> p;
        try {
            p = connection.getRemoteObject(owner, Helper1.PATH, Properties.class).GetAll(Helper1.INTERFACE);
        } catch (DBusException | RuntimeException e) {
            return Optional.empty(); // not a helper, or it does not let us read
        }
        Optional<Caller> caller;
        try {
            caller = Optional.of(trust.classify(owner));
        } catch (PeerTrust.PeerUnknownException e) {
            caller = Optional.empty();
        }
        if (caller.isEmpty()) {
            return Optional.empty();
        }
        Caller c = caller.get();
        return Optional.of(new HelperInfo(busName, owner, c.credentials().pid(), c.credentials().uid(), c.level(),
                text(p, "Name"), text(p, "Version"), text(p, "Description"), list(p, "Interfaces"),
                text(p, "VMStateId"), text(p, "Status"), text(p, "StatusReason")));
    }

    private void statusChanged(String sender, Map<String, Variant<?>> changed) {
        Variant<?> status = changed.get("Status");
        if (status == null || !(status.getValue() instanceof String s)) {
            return;
        }
        Variant<?> reason = changed.get("StatusReason");
        for (HelperInfo h : helpers.values()) {
            if (h.uniqueName().equals(sender)) {
                HelperInfo n = h.withStatus(s, reason != null && reason.getValue() instanceof String r ? r
                        : h.statusReason());
                helpers.put(h.busName(), n);
                fire(Event.Kind.CHANGED, n);
            }
        }
    }

    private void fire(Event.Kind kind, HelperInfo info) {
        for (Consumer<Event> l : listeners) {
            l.accept(new Event(kind, info));
        }
    }

    private static String text(Map<String, Variant<?>> p, String key) {
        Variant<?> v = p.get(key);
        return v != null && v.getValue() instanceof String s ? s : "";
    }

    private static List<String> list(Map<String, Variant<?>> p, String key) {
        Variant<?> v = p.get(key);
        List<String> out = new ArrayList<>();
        if (v != null && v.getValue() instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof String s) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : subscriptions) {
            c.close();
        }
    }
}
