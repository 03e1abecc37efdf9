package org.qemu.helpers.slirpdhcp.engine;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The names the helper answers for itself: host records (any name, first priority) and the labels of static and
 * dynamic leases under the VM domain. Read concurrently by the DNS side, written by the DHCP side.
 */
public final class LocalZone {
    private final String domain;
    private final ConcurrentHashMap<String, Integer> hosts = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, String> hostsReverse = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> leaseNames = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, String> leaseReverse = new ConcurrentHashMap<>();
    /** Bumped on every change so that answers derived from the zone can be cached and invalidated. */
    private final java.util.concurrent.atomic.AtomicLong generation = new java.util.concurrent.atomic.AtomicLong();

    public long generation() {
        return generation.get();
    }

    public LocalZone(String domain) {
        this.domain = domain.toLowerCase(Locale.ROOT);
    }

    public String domain() {
        return domain;
    }

    /** The fully qualified name for a lease label. */
    public String fqdn(String label) {
        return domain.isEmpty() ? label : label + "." + domain;
    }

    /** True if the name is the VM domain or under it (we are authoritative there). */
    public boolean inDomain(String name) {
        return !domain.isEmpty() && (name.equals(domain) || name.endsWith("." + domain));
    }

    public Optional<Integer> lookup(String name) {
        String n = normalize(name);
        Integer ip = hosts.get(n);
        if (ip == null) {
            ip = leaseNames.get(n);
        }
        return Optional.ofNullable(ip);
    }

    public Optional<String> reverse(int ip) {
        String n = hostsReverse.get(ip);
        if (n == null) {
            n = leaseReverse.get(ip);
        }
        return Optional.ofNullable(n);
    }

    public boolean isHostName(String name) {
        return hosts.containsKey(normalize(name));
    }

    void putHost(HostRecord r) {
        generation.incrementAndGet();
        Integer old = hosts.put(r.name(), r.ip());
        if (old != null) {
            hostsReverse.remove(old, r.name());
        }
        hostsReverse.putIfAbsent(r.ip(), r.name());
    }

    void removeHost(HostRecord r) {
        generation.incrementAndGet();
        hosts.remove(r.name(), r.ip());
        hostsReverse.remove(r.ip(), r.name());
        for (Map.Entry<String, Integer> e : hosts.entrySet()) {
            if (e.getValue() == r.ip()) {
                hostsReverse.putIfAbsent(r.ip(), e.getKey());
            }
        }
    }

    /** Publishes label -> ip unless another address holds the name; returns whether it is published. */
    boolean publish(String label, int ip) {
        generation.incrementAndGet();
        String fq = fqdn(label);
        Integer cur = leaseNames.putIfAbsent(fq, ip);
        if (cur != null && cur != ip) {
            return false;
        }
        String oldName = leaseReverse.put(ip, fq);
        if (oldName != null && !oldName.equals(fq)) {
            leaseNames.remove(oldName, ip);
        }
        return true;
    }

    void unpublish(String label, int ip) {
        generation.incrementAndGet();
        String fq = fqdn(label);
        leaseNames.remove(fq, ip);
        leaseReverse.remove(ip, fq);
    }

    /** Whether the label is held by an address other than {@code ip}. */
    boolean heldByOther(String label, int ip) {
        Integer cur = leaseNames.get(fqdn(label));
        return cur != null && cur != ip;
    }

    void clear() {
        generation.incrementAndGet();
        hosts.clear();
        hostsReverse.clear();
        leaseNames.clear();
        leaseReverse.clear();
    }

    private static String normalize(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }
}
