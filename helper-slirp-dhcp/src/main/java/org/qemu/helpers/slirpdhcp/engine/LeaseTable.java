package org.qemu.helpers.slirpdhcp.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeSet;
import org.qemu.helpers.common.log.EventLog;

/**
 * What the DHCP server has bound: dynamic leases (by client, by address, by expiry), static leases, host records,
 * the addresses of ended leases per client (to hand the same one back, RFC 2131 4.3.1), and their names in the
 * {@link LocalZone}. Not thread-safe: {@link DhcpServer} holds it under its lock.
 */
final class LeaseTable {
    /** How many released/expired client addresses are remembered to hand the same address back. */
    private static final int MAX_REMEMBERED = 65536;

    private final NetworkConfig cfg;
    private final LocalZone zone;
    private final EventLog guestLog;
    private final Map<String, Lease> leases = new HashMap<>();
    private final Map<Integer, Lease> leaseByIp = new HashMap<>();
    private final TreeSet<Lease> byExpiry = new TreeSet<>(
            Comparator.comparingLong(Lease::expiresAt).thenComparing(Lease::clientKey));
    private final Map<Mac, StaticLease> statics = new HashMap<>();
    private final Map<Integer, StaticLease> staticByIp = new HashMap<>();
    private final Map<String, HostRecord> hosts = new HashMap<>();
    private final LinkedHashMap<String, Integer> remembered = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> e) {
            return size() > MAX_REMEMBERED;
        }
    };

    LeaseTable(NetworkConfig cfg, LocalZone zone, EventLog guestLog) {
        this.cfg = cfg;
        this.zone = zone;
        this.guestLog = guestLog;
    }

    /** The dynamic lease of a client, or null. */
    Lease lease(String clientKey) {
        return leases.get(clientKey);
    }

    /** The dynamic lease holding an address, or null. */
    Lease holder(int ip) {
        return leaseByIp.get(ip);
    }

    /** The static lease of a MAC, or null. */
    StaticLease staticFor(Mac mac) {
        return statics.get(mac);
    }

    /** Whether a static lease reserves the address. */
    boolean reserved(int ip) {
        return staticByIp.containsKey(ip);
    }

    /** The address a client held last before its lease ended, or null. */
    Integer remembered(String clientKey) {
        return remembered.get(clientKey);
    }

    void forget(String clientKey) {
        remembered.remove(clientKey);
    }

    /** Binds {@code lease}, replacing the client's {@code old} one (or null); renames follow in the zone. */
    void bind(Lease lease, Lease old, long now) {
        if (old != null) {
            unindex(old);
            if (old.ip() != lease.ip() || !old.hostname().equals(lease.hostname())) {
                unpublish(old);
            }
        }
        index(lease);
        publish(lease, now);
    }

    /** Ends a lease: the address returns to the pool, remembered for this client (RFC 2131 4.4.5). */
    void end(Lease l, String reason, List<StateChange> changes) {
        unindex(l);
        unpublish(l);
        remembered.put(l.clientKey(), l.ip());
        changes.add(new StateChange.LeaseEnded(l, reason));
    }

    /** Ends every lease whose time is up at {@code now}. */
    void expire(long now, List<StateChange> changes) {
        while (!byExpiry.isEmpty() && byExpiry.first().expiresAt() <= now) {
            end(byExpiry.first(), "expired", changes);
        }
    }

    private void index(Lease l) {
        leases.put(l.clientKey(), l);
        leaseByIp.put(l.ip(), l);
        byExpiry.add(l);
    }

    private void unindex(Lease l) {
        leases.remove(l.clientKey(), l);
        leaseByIp.remove(l.ip(), l);
        byExpiry.remove(l);
    }

    private void publish(Lease l, long now) {
        if (l.hostname().isEmpty() || publishedByStatic(l)) {
            return;
        }
        if (!zone.publish(l.hostname(), l.ip())) {
            guestLog.warn("hostname_conflict", "mac", l.mac(), "name", l.hostname(), "ip", Ip4.format(l.ip()));
        }
    }

    private void unpublish(Lease l) {
        if (l.hostname().isEmpty() || publishedByStatic(l)) {
            return;
        }
        zone.unpublish(l.hostname(), l.ip());
    }

    /** Whether a static lease of the same address and name publishes the lease's name. */
    private boolean publishedByStatic(Lease l) {
        StaticLease st = staticByIp.get(l.ip());
        return st != null && st.hostname().equals(l.hostname());
    }

    // ---- administration ----

    List<StateChange> addStatic(StaticLease s) {
        if (!cfg.isAssignable(s.ip())) {
            throw new IllegalArgumentException("address " + Ip4.format(s.ip())
                    + " is not an assignable host address of " + Ip4.format(cfg.network()) + "/" + cfg.prefix());
        }
        StaticLease other = staticByIp.get(s.ip());
        if (other != null && !other.mac().equals(s.mac())) {
            throw new IllegalStateException("address " + Ip4.format(s.ip()) + " is already reserved for "
                    + other.mac());
        }
        if (!s.hostname().isEmpty() && zone.heldByOther(s.hostname(), s.ip())) {
            throw new IllegalStateException("hostname " + s.hostname() + " is already published for another address");
        }
        List<StateChange> changes = new ArrayList<>();
        StaticLease old = statics.get(s.mac());
        if (old != null) {
            removeStatic(old, changes);
        }
        putStatic(s);
        changes.add(new StateChange.StaticAdded(s));
        return changes;
    }

    List<StateChange> removeStatic(Mac mac) {
        StaticLease old = statics.get(mac);
        if (old == null) {
            throw new NoSuchElementException("no static lease for " + mac);
        }
        List<StateChange> changes = new ArrayList<>();
        removeStatic(old, changes);
        return changes;
    }

    private void putStatic(StaticLease s) {
        statics.put(s.mac(), s);
        staticByIp.put(s.ip(), s);
        if (!s.hostname().isEmpty()) {
            zone.publish(s.hostname(), s.ip());
        }
    }

    private void removeStatic(StaticLease old, List<StateChange> changes) {
        statics.remove(old.mac());
        staticByIp.remove(old.ip(), old);
        if (!old.hostname().isEmpty()) {
            zone.unpublish(old.hostname(), old.ip());
        }
        changes.add(new StateChange.StaticRemoved(old));
    }

    List<StateChange> addHost(HostRecord r) {
        HostRecord old = hosts.put(r.name(), r);
        if (old != null) {
            zone.removeHost(old);
        }
        zone.putHost(r);
        return List.of(new StateChange.HostAdded(r));
    }

    List<StateChange> removeHost(String name) {
        String n = Hostnames.normalizeName(name);
        HostRecord old = hosts.remove(n);
        if (old == null) {
            throw new NoSuchElementException("no host record named " + n);
        }
        zone.removeHost(old);
        return List.of(new StateChange.HostRemoved(old));
    }

    // ---- snapshots ----

    NetState snapshot() {
        return new NetState(leases(), statics(), hosts());
    }

    /** Replaces all bindings; entries that no longer fit the network (or collide) are dropped. */
    void restore(NetState s, long now) {
        leases.clear();
        leaseByIp.clear();
        byExpiry.clear();
        statics.clear();
        staticByIp.clear();
        hosts.clear();
        zone.clear();
        for (StaticLease st : s.statics()) {
            if (cfg.isAssignable(st.ip()) && !staticByIp.containsKey(st.ip())) {
                putStatic(st);
            }
        }
        for (HostRecord h : s.hosts()) {
            hosts.put(h.name(), h);
            zone.putHost(h);
        }
        for (Lease l : s.leases()) {
            if (cfg.contains(l.ip()) && !leaseByIp.containsKey(l.ip()) && !leases.containsKey(l.clientKey())) {
                index(l);
                publish(l, now);
            }
        }
    }

    List<Lease> leases() {
        return new ArrayList<>(leases.values());
    }

    List<StaticLease> statics() {
        return new ArrayList<>(statics.values());
    }

    List<HostRecord> hosts() {
        return new ArrayList<>(hosts.values());
    }
}
