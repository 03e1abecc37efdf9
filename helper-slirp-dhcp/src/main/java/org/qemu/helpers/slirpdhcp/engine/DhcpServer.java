package org.qemu.helpers.slirpdhcp.engine;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.common.log.EventRateLimit;

/**
 * The DHCP server state machine (RFC 2131 4.3) over a {@link LeaseTable} (what is bound), an
 * {@link AddressChooser} (what to offer) and {@link DhcpReplies} (what to send). Free of I/O: a message and the
 * current time in, a reply and the durable changes out. Callers journal the changes before they send the reply
 * (write ahead). Thread-safe (one lock over all three).
 */
public final class DhcpServer {
    private final NetworkConfig cfg;
    private final LocalZone zone;
    private final Statistics stats;
    private final EventLog guestLog;
    private final LeaseTable table;
    private final AddressChooser chooser;
    private final DhcpReplies replies;
    private long now;

    public DhcpServer(NetworkConfig cfg, LocalZone zone, Statistics stats, EventLog log) {
        this.cfg = cfg;
        this.zone = zone;
        this.stats = stats;
        // lines a guest can trigger at will (NAKs, bad hostnames, pool exhaustion): 5 per event and second, so a
        // hostile guest cannot flood the host's journal; the clock is the time of the message being handled
        this.guestLog = new EventRateLimit(5, 5, () -> this.now * 1000L).limit(log);
        this.table = new LeaseTable(cfg, zone, guestLog);
        this.chooser = new AddressChooser(cfg, table, guestLog);
        this.replies = new DhcpReplies(cfg);
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
        stats.inc("dhcp_" + type.name().toLowerCase(Locale.ROOT) + "_in");
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
        Integer ip = chooser.choose(m, key, now);
        if (ip == null && table.staticFor(m.mac()) != null) {
            return Optional.empty(); // its reserved address is still held by a dynamic lease (logged)
        }
        if (ip == null) {
            stats.inc(Statistics.POOL_EXHAUSTED);
            guestLog.warn("pool_exhausted", "mac", m.mac(), "pool",
                    Ip4.format(cfg.poolStart()) + "-" + Ip4.format(cfg.poolEnd()));
            return Optional.empty();
        }
        chooser.offer(key, ip, now);
        stats.inc(Statistics.OFFERS);
        return Optional.of(leaseReply(m, DhcpMessageType.OFFER, ip, 0));
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
                chooser.withdraw(key);
                return Optional.empty();
            }
            if (requested.isEmpty()) {
                return Optional.of(nak(m, "requested address missing in SELECTING"));
            }
            target = requested.get();
        } else if (requested.isPresent() && m.ciaddr() == 0) {
            // INIT-REBOOT: verify a remembered address.
            target = requested.get();
            Lease cur = table.lease(key);
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
        if (!cfg.contains(target) || !chooser.allowedFor(key, m.mac(), target, now)) {
            return Optional.of(nak(m, "address " + Ip4.format(target) + " is not available to this client"));
        }
        String hostname = hostnameFor(m, key, target);
        Lease old = table.lease(key);
        Lease lease = new Lease(key, m.mac(), target, hostname, now + cfg.leaseSeconds());
        if (old != null && old.ip() != target) {
            changes.add(new StateChange.LeaseEnded(old, "replaced"));
        }
        table.bind(lease, old, now);
        chooser.withdraw(key);
        changes.add(new StateChange.LeaseBound(lease, old == null || old.ip() != target));
        stats.inc(Statistics.ACKS);
        return Optional.of(leaseReply(m, DhcpMessageType.ACK, target, m.ciaddr()));
    }

    private DhcpReply nak(DhcpMessage m, String why) {
        stats.inc(Statistics.NAKS);
        guestLog.info("nak", "mac", m.mac(), "reason", why);
        return replies.nak(m, why);
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
        Lease cur = table.lease(key);
        boolean ours = (cur != null && cur.ip() == ip.get()) || chooser.offeredTo(key, ip.get());
        if (!ours) {
            return; // only the client we gave the address to may declare it in use
        }
        chooser.decline(key, ip.get(), now);
        guestLog.warn("declined", "mac", m.mac(), "ip", Ip4.format(ip.get()), "hold_s",
                NetworkConfig.DECLINE_HOLD_SECONDS);
        table.forget(key);
        if (cur != null && cur.ip() == ip.get()) {
            table.end(cur, "declined", changes);
        }
    }

    // RFC 2131 4.3.4
    private void release(DhcpMessage m, List<StateChange> changes) {
        Optional<Integer> serverId = m.options().ip(DhcpOption.SERVER_ID);
        if (serverId.isPresent() && serverId.get() != cfg.gateway()) {
            return;
        }
        Lease cur = table.lease(clientKey(m));
        if (cur != null && cur.ip() == m.ciaddr()) {
            table.end(cur, "released", changes);
        }
    }

    // RFC 2131 4.3.5: configuration only, no lease, no yiaddr.
    private DhcpReply inform(DhcpMessage m) {
        stats.inc(Statistics.ACKS);
        return replies.reply(m, DhcpMessageType.ACK, 0, m.ciaddr(), false, "");
    }

    private DhcpReply leaseReply(DhcpMessage m, DhcpMessageType type, int yiaddr, int ciaddr) {
        StaticLease st = table.staticFor(m.mac());
        String staticName = st != null && st.ip() == yiaddr ? st.hostname() : "";
        return replies.reply(m, type, yiaddr, ciaddr, true, staticName);
    }

    /** Ends every lease whose time is up (RFC 2131 4.4.5: the address returns to the pool). */
    public synchronized List<StateChange> expire(long now) {
        List<StateChange> changes = new ArrayList<>();
        expire(now, changes);
        return changes;
    }

    private void expire(long now, List<StateChange> changes) {
        table.expire(now, changes);
        chooser.sweep(now);
    }

    /** The name a lease gets: its static lease's, else the client's option 12 as one label, else the old one. */
    private String hostnameFor(DhcpMessage m, String key, int ip) {
        StaticLease st = table.staticFor(m.mac());
        if (st != null && st.ip() == ip && !st.hostname().isEmpty()) {
            return st.hostname();
        }
        Optional<byte[]> raw = m.options().get(DhcpOption.HOSTNAME);
        if (raw.isEmpty()) {
            Lease cur = table.lease(key);
            return cur != null && cur.ip() == ip ? cur.hostname() : "";
        }
        Optional<String> label = Hostnames.sanitizeLabel(raw.get());
        if (label.isEmpty()) {
            guestLog.info("hostname_ignored", "mac", m.mac(), "raw",
                    new String(raw.get(), StandardCharsets.ISO_8859_1));
            return "";
        }
        return label.get();
    }

    // ---- administration (D-Bus) ----

    /** Adds or replaces the static lease of a MAC; the address must be a host address of the network. */
    public synchronized List<StateChange> addStatic(StaticLease s) {
        return table.addStatic(s);
    }

    public synchronized List<StateChange> removeStatic(Mac mac) {
        return table.removeStatic(mac);
    }

    public synchronized List<StateChange> addHost(HostRecord r) {
        return table.addHost(r);
    }

    public synchronized List<StateChange> removeHost(String name) {
        return table.removeHost(name);
    }

    // ---- snapshots ----

    public synchronized NetState snapshot() {
        return table.snapshot();
    }

    /** Replaces all state (restart recovery, VMState Load); entries that no longer fit the network are dropped. */
    public synchronized void restore(NetState s) {
        chooser.clear();
        table.restore(s, now);
    }

    public synchronized List<Lease> leases() {
        return table.leases();
    }

    public synchronized Collection<StaticLease> statics() {
        return table.statics();
    }

    public synchronized Collection<HostRecord> hosts() {
        return table.hosts();
    }
}
