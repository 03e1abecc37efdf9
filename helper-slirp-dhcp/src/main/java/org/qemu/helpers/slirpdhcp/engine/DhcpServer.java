package org.qemu.helpers.slirpdhcp.engine;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * The DHCP server state machine (RFC 2131 4.3) with its leases, static leases and host records. Free of I/O: a
 * message and the current time in, a reply and the durable changes out. Callers journal the changes before they
 * send the reply (write ahead). Thread-safe (one lock).
 */
public final class DhcpServer {
    /** How many released/expired client addresses are remembered to hand the same address back. */
    private static final int MAX_REMEMBERED = 65536;

    private final NetworkConfig cfg;
    private final LocalZone zone;
    private final Statistics stats;
    private final Consumer<String> log;
    private final LogLimiter guestLog;
    private long now;

    private final Map<String, Lease> leases = new HashMap<>();
    private final Map<Integer, Lease> leaseByIp = new HashMap<>();
    private final TreeSet<Lease> byExpiry = new TreeSet<>(
            Comparator.comparingLong(Lease::expiresAt).thenComparing(Lease::clientKey));
    private final Map<Mac, StaticLease> statics = new HashMap<>();
    private final Map<Integer, StaticLease> staticByIp = new HashMap<>();
    private final Map<String, HostRecord> hosts = new HashMap<>();
    private final Map<Integer, Offer> offers = new HashMap<>();
    private final Map<String, Integer> offerByClient = new HashMap<>();
    private final Map<Integer, Long> declined = new HashMap<>();
    private final LinkedHashMap<String, Integer> remembered = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> e) {
            return size() > MAX_REMEMBERED;
        }
    };
    private int cursor;
    private long lastOfferSweep;

    private record Offer(String clientKey, long until) {
    }

    public DhcpServer(NetworkConfig cfg, LocalZone zone, Statistics stats, Consumer<String> log) {
        this.cfg = cfg;
        this.zone = zone;
        this.stats = stats;
        this.log = log;
        this.guestLog = new LogLimiter(log);
        this.cursor = cfg.poolStart();
    }

    public NetworkConfig config() {
        return cfg;
    }

    public LocalZone zone() {
        return zone;
    }

    /** The key a client is known by: option 61 when present, else the hardware address (RFC 2131 4.2). */
    public static String clientKey(DhcpMessage m) {
        Optional<byte[]> id = m.options().get(DhcpOption.CLIENT_ID);
        if (id.isPresent() && id.get().length >= 2) {
            return "id:" + HexFormat.of().formatHex(id.get());
        }
        return "hw:" + m.mac();
    }

    /**
     * Handles one client message at Unix time {@code now}. Malformed or unsupported messages throw; a message that
     * deserves no answer yields an outcome without a reply.
     */
    public synchronized DhcpOutcome handle(DhcpMessage m, long now) throws MalformedException {
        List<StateChange> changes = new ArrayList<>();
        this.now = now;
        expire(now, changes);
        if (m.op() != DhcpMessage.BOOTREQUEST) {
            throw new MalformedException("not a BOOTREQUEST");
        }
        DhcpMessageType type = m.type();
        if (type == null) {
            throw new MalformedException("no or unknown DHCP message type (plain BOOTP is not served)");
        }
        byte[] cid = m.options().asMap().get(DhcpOption.CLIENT_ID);
        if (cid != null && (cid.length < 2 || cid.length > 255)) {
            throw new MalformedException("client identifier of " + cid.length + " bytes (RFC 2132 9.14: 2..255)");
        }
        if (m.mac().isMulticast() || m.mac().bits() == 0) {
            throw new MalformedException("client hardware address " + m.mac() + " is not a unicast address");
        }
        if (type == DhcpMessageType.OFFER || type == DhcpMessageType.ACK || type == DhcpMessageType.NAK) {
            throw new MalformedException("server message type " + type + " sent to the server");
        }
        stats.inc("dhcp_" + type.name().toLowerCase(java.util.Locale.ROOT) + "_in");
        Optional<DhcpReply> reply = switch (type) {
            case DISCOVER -> discover(m, now);
            case REQUEST -> request(m, now, changes);
            case DECLINE -> {
                decline(m, now, changes);
                yield Optional.empty();
            }
            case RELEASE -> {
                release(m, changes);
                yield Optional.empty();
            }
            case INFORM -> Optional.of(inform(m));
            default -> throw new MalformedException("server message type " + type + " sent to the server");
        };
        return new DhcpOutcome(reply, changes);
    }

    // RFC 2131 4.3.1
    private Optional<DhcpReply> discover(DhcpMessage m, long now) {
        String key = clientKey(m);
        Integer ip = chooseAddress(m, key, now);
        if (ip == null && statics.containsKey(m.mac())) {
            return Optional.empty(); // its reserved address is still held by a dynamic lease (logged)
        }
        if (ip == null) {
            stats.inc(Statistics.POOL_EXHAUSTED);
            guestLog.log("pool_exhausted", now, "pool_exhausted mac=" + m.mac() + " pool="
                    + Ip4.format(cfg.poolStart()) + "-" + Ip4.format(cfg.poolEnd()));
            return Optional.empty();
        }
        Integer oldOffer = offerByClient.put(key, ip);
        if (oldOffer != null && !oldOffer.equals(ip)) {
            offers.remove(oldOffer);
        }
        offers.put(ip, new Offer(key, now + NetworkConfig.OFFER_HOLD_SECONDS));
        stats.inc(Statistics.OFFERS);
        return Optional.of(reply(m, DhcpMessageType.OFFER, ip, 0, hostnameFor(m, key, ip), true));
    }

    private Integer chooseAddress(DhcpMessage m, String key, long now) {
        StaticLease st = statics.get(m.mac());
        if (st != null) {
            Lease holder = leaseByIp.get(st.ip());
            if (holder == null || holder.clientKey().equals(key) || holder.mac().equals(m.mac())) {
                return st.ip();
            }
            // A dynamic client still holds the reserved address; the static client waits (logged).
            guestLog.log("static_busy", now, "static_busy mac=" + m.mac() + " ip=" + Ip4.format(st.ip()) + " holder="
                    + holder.mac());
            return null;
        }
        Lease cur = leases.get(key);
        if (cur != null && allowedFor(key, m.mac(), cur.ip(), now)) {
            return cur.ip();
        }
        Integer offered = offerByClient.get(key);
        if (offered != null && allowedFor(key, m.mac(), offered, now)) {
            return offered;
        }
        Integer prev = remembered.get(key);
        if (prev != null && allowedFor(key, m.mac(), prev, now)) {
            return prev;
        }
        Optional<Integer> req = m.options().ip(DhcpOption.REQUESTED_IP);
        if (req.isPresent() && cfg.inPool(req.get()) && allowedFor(key, m.mac(), req.get(), now)) {
            return req.get();
        }
        long size = Integer.toUnsignedLong(cfg.poolEnd()) - Integer.toUnsignedLong(cfg.poolStart()) + 1;
        int ip = cursor;
        for (long i = 0; i < size; i++) {
            if (Integer.compareUnsigned(ip, cfg.poolEnd()) > 0 || Integer.compareUnsigned(ip, cfg.poolStart()) < 0) {
                ip = cfg.poolStart();
            }
            int candidate = ip;
            ip++;
            if (allowedFor(key, m.mac(), candidate, now)) {
                cursor = ip;
                return candidate;
            }
        }
        return null;
    }

    /** Whether {@code ip} may be bound to this client now (not reserved, declined, offered or leased to another). */
    private boolean allowedFor(String key, Mac mac, int ip, long now) {
        StaticLease mine = statics.get(mac);
        if (mine != null) {
            return mine.ip() == ip;
        }
        if (!cfg.inPool(ip) || staticByIp.containsKey(ip)) {
            return false;
        }
        Long until = declined.get(ip);
        if (until != null) {
            if (until > now) {
                return false;
            }
            declined.remove(ip);
        }
        Lease holder = leaseByIp.get(ip);
        if (holder != null && !holder.clientKey().equals(key)) {
            return false;
        }
        Offer o = offers.get(ip);
        return o == null || o.clientKey().equals(key) || o.until() <= now;
    }

    // RFC 2131 4.3.2
    private Optional<DhcpReply> request(DhcpMessage m, long now, List<StateChange> changes) {
        String key = clientKey(m);
        Optional<Integer> serverId = m.options().ip(DhcpOption.SERVER_ID);
        Optional<Integer> requested = m.options().ip(DhcpOption.REQUESTED_IP);
        int target;
        if (serverId.isPresent()) {
            // SELECTING: the client chose a server; if not us, forget our offer silently.
            if (serverId.get() != cfg.gateway()) {
                Integer ip = offerByClient.remove(key);
                if (ip != null) {
                    offers.remove(ip);
                }
                return Optional.empty();
            }
            if (requested.isEmpty()) {
                return Optional.of(nak(m, "requested address missing in SELECTING"));
            }
            target = requested.get();
        } else if (requested.isPresent() && m.ciaddr() == 0) {
            // INIT-REBOOT: verify a remembered address.
            target = requested.get();
            Lease cur = leases.get(key);
            boolean known = cur != null && cur.ip() == target;
            if (!known && !cfg.authoritative()) {
                return Optional.empty();
            }
        } else if (m.ciaddr() != 0) {
            // RENEWING (unicast) or REBINDING (broadcast): ciaddr holds the address.
            target = m.ciaddr();
        } else {
            return Optional.of(nak(m, "REQUEST names no address"));
        }
        if (!cfg.contains(target) || !allowedFor(key, m.mac(), target, now)) {
            return Optional.of(nak(m, "address " + Ip4.format(target) + " is not available to this client"));
        }
        String hostname = hostnameFor(m, key, target);
        Lease old = leases.get(key);
        long expires = now + cfg.leaseSeconds();
        Lease lease = new Lease(key, m.mac(), target, hostname, expires);
        if (old != null) {
            unindex(old);
            if (old.ip() != target || !old.hostname().equals(hostname)) {
                unpublish(old);
            }
            if (old.ip() != target) {
                changes.add(new StateChange.LeaseEnded(old, "replaced"));
            }
        }
        index(lease);
        publish(lease);
        Integer offered = offerByClient.remove(key);
        if (offered != null) {
            offers.remove(offered);
        }
        changes.add(new StateChange.LeaseBound(lease, old == null || old.ip() != target));
        stats.inc(Statistics.ACKS);
        return Optional.of(reply(m, DhcpMessageType.ACK, target, m.ciaddr(), hostname, true));
    }

    private DhcpReply nak(DhcpMessage m, String why) {
        stats.inc(Statistics.NAKS);
        guestLog.log("nak", now, "nak mac=" + m.mac() + " reason=\"" + why + "\"");
        DhcpOptions o = new DhcpOptions();
        o.putU8(DhcpOption.MESSAGE_TYPE, DhcpMessageType.NAK.code());
        o.putIp(DhcpOption.SERVER_ID, cfg.gateway());
        o.put(DhcpOption.MESSAGE, why.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        m.options().get(DhcpOption.CLIENT_ID).ifPresent(id -> o.put(DhcpOption.CLIENT_ID, id));
        DhcpMessage msg = new DhcpMessage(DhcpMessage.BOOTREPLY, 1, 0, m.xid(), 0, m.flags(), 0, 0, 0, m.giaddr(),
                m.chaddr(), o);
        // RFC 2131 4.1: without a relay a NAK is always broadcast.
        DhcpReply.Delivery d = m.giaddr() != 0 ? DhcpReply.Delivery.RELAY : DhcpReply.Delivery.BROADCAST;
        return new DhcpReply(msg, d, m.giaddr() != 0 ? m.giaddr() : -1, Mac.BROADCAST, maxSize(m));
    }

    // RFC 2131 4.3.3
    private void decline(DhcpMessage m, long now, List<StateChange> changes) {
        Optional<Integer> serverId = m.options().ip(DhcpOption.SERVER_ID);
        if (serverId.isPresent() && serverId.get() != cfg.gateway()) {
            return;
        }
        Optional<Integer> ip = m.options().ip(DhcpOption.REQUESTED_IP);
        if (ip.isEmpty() || !cfg.contains(ip.get())) {
            return;
        }
        String key = clientKey(m);
        Lease cur = leases.get(key);
        Offer offer = offers.get(ip.get());
        boolean ours = (cur != null && cur.ip() == ip.get()) || (offer != null && offer.clientKey().equals(key));
        if (!ours) {
            return; // only the client we gave the address to may declare it in use
        }
        declined.put(ip.get(), now + NetworkConfig.DECLINE_HOLD_SECONDS);
        guestLog.log("declined", now, "declined mac=" + m.mac() + " ip=" + Ip4.format(ip.get()) + " hold_s="
                + NetworkConfig.DECLINE_HOLD_SECONDS);
        offers.remove(ip.get());
        offerByClient.remove(key);
        remembered.remove(key);
        if (cur != null && cur.ip() == ip.get()) {
            end(cur, "declined", changes);
        }
    }

    // RFC 2131 4.3.4
    private void release(DhcpMessage m, List<StateChange> changes) {
        Optional<Integer> serverId = m.options().ip(DhcpOption.SERVER_ID);
        if (serverId.isPresent() && serverId.get() != cfg.gateway()) {
            return;
        }
        String key = clientKey(m);
        Lease cur = leases.get(key);
        if (cur != null && cur.ip() == m.ciaddr()) {
            end(cur, "released", changes);
        }
    }

    // RFC 2131 4.3.5: configuration only, no lease, no yiaddr.
    private DhcpReply inform(DhcpMessage m) {
        stats.inc(Statistics.ACKS);
        return reply(m, DhcpMessageType.ACK, 0, m.ciaddr(), "", false);
    }

    private void end(Lease l, String reason, List<StateChange> changes) {
        unindex(l);
        unpublish(l);
        remembered.put(l.clientKey(), l.ip());
        changes.add(new StateChange.LeaseEnded(l, reason));
    }

    /** Ends every lease whose time is up (RFC 2131 4.4.5: the address returns to the pool). */
    public synchronized List<StateChange> expire(long now) {
        List<StateChange> changes = new ArrayList<>();
        expire(now, changes);
        return changes;
    }

    private void expire(long now, List<StateChange> changes) {
        while (!byExpiry.isEmpty() && byExpiry.first().expiresAt() <= now) {
            Lease l = byExpiry.first();
            end(l, "expired", changes);
        }
        if (offers.size() > 4096 && now != lastOfferSweep) {
            lastOfferSweep = now; // at most once a second: a sweep walks every pending offer
            offers.entrySet().removeIf(e -> {
                if (e.getValue().until() <= now) {
                    offerByClient.remove(e.getValue().clientKey(), e.getKey());
                    return true;
                }
                return false;
            });
        }
    }

    private String hostnameFor(DhcpMessage m, String key, int ip) {
        StaticLease st = statics.get(m.mac());
        if (st != null && st.ip() == ip && !st.hostname().isEmpty()) {
            return st.hostname();
        }
        Optional<byte[]> raw = m.options().get(DhcpOption.HOSTNAME);
        if (raw.isEmpty()) {
            Lease cur = leases.get(key);
            return cur != null && cur.ip() == ip ? cur.hostname() : "";
        }
        Optional<String> label = Hostnames.sanitizeLabel(raw.get());
        if (label.isEmpty()) {
            guestLog.log("hostname_ignored", now, "hostname_ignored mac=" + m.mac() + " raw=\""
                    + Hostnames.escape(new String(raw.get(), java.nio.charset.StandardCharsets.ISO_8859_1)) + "\"");
            return "";
        }
        return label.get();
    }

    private DhcpReply reply(DhcpMessage m, DhcpMessageType type, int yiaddr, int ciaddr, String hostname,
                            boolean withLease) {
        Map<Integer, byte[]> avail = new LinkedHashMap<>();
        avail.put(DhcpOption.SUBNET_MASK, Ip4.bytes(cfg.mask()));
        avail.put(DhcpOption.ROUTER, Ip4.bytes(cfg.gateway()));
        avail.put(DhcpOption.DNS, Ip4.bytes(cfg.dns()));
        if (!cfg.domain().isEmpty()) {
            avail.put(DhcpOption.DOMAIN_NAME, cfg.domain().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        if (!cfg.search().isEmpty()) {
            avail.put(DhcpOption.DOMAIN_SEARCH, DhcpCodec.encodeSearchList(cfg.search()));
        }
        if (cfg.mtu() != 0) {
            avail.put(DhcpOption.INTERFACE_MTU, new byte[] {(byte) (cfg.mtu() >>> 8), (byte) cfg.mtu()});
        }
        avail.put(DhcpOption.BROADCAST_ADDRESS, Ip4.bytes(cfg.broadcast()));
        StaticLease st = statics.get(m.mac());
        if (withLease && st != null && st.ip() == yiaddr && !st.hostname().isEmpty()) {
            avail.put(DhcpOption.HOSTNAME, st.hostname().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        DhcpOptions o = new DhcpOptions();
        o.putU8(DhcpOption.MESSAGE_TYPE, type.code());
        o.putIp(DhcpOption.SERVER_ID, cfg.gateway());
        if (withLease) {
            int t = cfg.leaseSeconds();
            o.putU32(DhcpOption.LEASE_TIME, t);
            o.putU32(DhcpOption.RENEWAL_TIME, t / 2); // RFC 2131 4.4.5: T1 = 0.5 * lease
            o.putU32(DhcpOption.REBINDING_TIME, (int) (t * 7L / 8)); // T2 = 0.875 * lease
        }
        // RFC 2132 9.8: requested options first, in the client's order; then the rest we always send.
        m.options().get(DhcpOption.PARAMETER_LIST).ifPresent(prl -> {
            for (byte b : prl) {
                byte[] v = avail.remove(b & 0xff);
                if (v != null) {
                    o.put(b & 0xff, v);
                }
            }
        });
        avail.remove(DhcpOption.BROADCAST_ADDRESS); // only on request
        avail.forEach(o::put);
        m.options().get(DhcpOption.CLIENT_ID).ifPresent(id -> o.put(DhcpOption.CLIENT_ID, id)); // RFC 6842
        DhcpMessage msg = new DhcpMessage(DhcpMessage.BOOTREPLY, 1, 0, m.xid(), 0, m.flags(), ciaddr, yiaddr, 0,
                m.giaddr(), m.chaddr(), o);
        DhcpReply.Delivery d;
        int dest;
        Mac destMac = m.mac();
        if (m.giaddr() != 0) {
            d = DhcpReply.Delivery.RELAY;
            dest = m.giaddr();
        } else if (m.ciaddr() != 0) {
            d = DhcpReply.Delivery.CIADDR;
            dest = m.ciaddr();
        } else if (m.broadcastFlag() || yiaddr == 0) {
            d = DhcpReply.Delivery.BROADCAST;
            dest = -1;
            destMac = Mac.BROADCAST;
        } else {
            d = DhcpReply.Delivery.YIADDR;
            dest = yiaddr;
        }
        return new DhcpReply(msg, d, dest, destMac, maxSize(m));
    }

    /** RFC 2132 9.10: option 57 counts the whole IP datagram; never below 576. */
    private static int maxSize(DhcpMessage m) {
        int v = m.options().u16(DhcpOption.MAX_MESSAGE_SIZE).orElse(576);
        return Math.max(DhcpCodec.MIN_MAX_SIZE, v - 28);
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

    private void publish(Lease l) {
        if (l.hostname().isEmpty()) {
            return;
        }
        StaticLease st = staticByIp.get(l.ip());
        if (st != null && st.hostname().equals(l.hostname())) {
            return; // the static lease publishes it
        }
        if (!zone.publish(l.hostname(), l.ip())) {
            guestLog.log("hostname_conflict", now, "hostname_conflict mac=" + l.mac() + " name=" + l.hostname() + " ip="
                    + Ip4.format(l.ip()));
        }
    }

    private void unpublish(Lease l) {
        if (l.hostname().isEmpty()) {
            return;
        }
        StaticLease st = staticByIp.get(l.ip());
        if (st != null && st.hostname().equals(l.hostname())) {
            return;
        }
        zone.unpublish(l.hostname(), l.ip());
    }

    // ---- administration (D-Bus) ----

    /** Adds or replaces the static lease of a MAC; the address must be a host address of the network. */
    public synchronized List<StateChange> addStatic(StaticLease s) {
        if (!cfg.isAssignable(s.ip())) {
            throw new IllegalArgumentException("address " + Ip4.format(s.ip()) + " is not an assignable host address of "
                    + Ip4.format(cfg.network()) + "/" + cfg.prefix());
        }
        StaticLease other = staticByIp.get(s.ip());
        if (other != null && !other.mac().equals(s.mac())) {
            throw new IllegalStateException("address " + Ip4.format(s.ip()) + " is already reserved for " + other.mac());
        }
        if (!s.hostname().isEmpty() && zone.heldByOther(s.hostname(), s.ip())) {
            throw new IllegalStateException("hostname " + s.hostname() + " is already published for another address");
        }
        List<StateChange> changes = new ArrayList<>();
        StaticLease old = statics.get(s.mac());
        if (old != null) {
            removeStaticInternal(old, changes);
        }
        statics.put(s.mac(), s);
        staticByIp.put(s.ip(), s);
        if (!s.hostname().isEmpty()) {
            zone.publish(s.hostname(), s.ip());
        }
        changes.add(new StateChange.StaticAdded(s));
        return changes;
    }

    public synchronized List<StateChange> removeStatic(Mac mac) {
        StaticLease old = statics.get(mac);
        if (old == null) {
            throw new java.util.NoSuchElementException("no static lease for " + mac);
        }
        List<StateChange> changes = new ArrayList<>();
        removeStaticInternal(old, changes);
        return changes;
    }

    private void removeStaticInternal(StaticLease old, List<StateChange> changes) {
        statics.remove(old.mac());
        staticByIp.remove(old.ip(), old);
        if (!old.hostname().isEmpty()) {
            zone.unpublish(old.hostname(), old.ip());
        }
        changes.add(new StateChange.StaticRemoved(old));
    }

    public synchronized List<StateChange> addHost(HostRecord r) {
        List<StateChange> changes = new ArrayList<>();
        HostRecord old = hosts.put(r.name(), r);
        if (old != null) {
            zone.removeHost(old);
        }
        zone.putHost(r);
        changes.add(new StateChange.HostAdded(r));
        return changes;
    }

    public synchronized List<StateChange> removeHost(String name) {
        String n = Hostnames.normalizeName(name);
        HostRecord old = hosts.remove(n);
        if (old == null) {
            throw new java.util.NoSuchElementException("no host record named " + n);
        }
        zone.removeHost(old);
        return List.of(new StateChange.HostRemoved(old));
    }

    // ---- snapshots ----

    public synchronized NetState snapshot() {
        return new NetState(new ArrayList<>(leases.values()), new ArrayList<>(statics.values()),
                new ArrayList<>(hosts.values()));
    }

    /** Replaces all state (restart recovery, VMState Load); entries that no longer fit the network are dropped. */
    public synchronized void restore(NetState s) {
        leases.clear();
        leaseByIp.clear();
        byExpiry.clear();
        statics.clear();
        staticByIp.clear();
        hosts.clear();
        offers.clear();
        offerByClient.clear();
        declined.clear();
        zone.clear();
        for (StaticLease st : s.statics()) {
            if (cfg.isAssignable(st.ip()) && !staticByIp.containsKey(st.ip())) {
                statics.put(st.mac(), st);
                staticByIp.put(st.ip(), st);
                if (!st.hostname().isEmpty()) {
                    zone.publish(st.hostname(), st.ip());
                }
            }
        }
        for (HostRecord h : s.hosts()) {
            hosts.put(h.name(), h);
            zone.putHost(h);
        }
        for (Lease l : s.leases()) {
            if (cfg.contains(l.ip()) && !leaseByIp.containsKey(l.ip()) && !leases.containsKey(l.clientKey())) {
                index(l);
                publish(l);
            }
        }
    }

    public synchronized List<Lease> leases() {
        return new ArrayList<>(leases.values());
    }

    public synchronized Collection<StaticLease> statics() {
        return new ArrayList<>(statics.values());
    }

    public synchronized Collection<HostRecord> hosts() {
        return new ArrayList<>(hosts.values());
    }
}
