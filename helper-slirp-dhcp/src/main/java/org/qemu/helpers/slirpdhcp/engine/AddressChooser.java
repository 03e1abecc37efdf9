package org.qemu.helpers.slirpdhcp.engine;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.qemu.helpers.common.log.EventLog;

/**
 * Which address a client gets (RFC 2131 4.3.1): its static lease, else its current lease, its pending offer, the
 * address it held last, the address it asks for, else the next free one of the pool (round robin). Holds the
 * pending offers (for {@link NetworkConfig#OFFER_HOLD_SECONDS}) and declined addresses (for
 * {@link NetworkConfig#DECLINE_HOLD_SECONDS}, RFC 2131 4.3.3). Not thread-safe: {@link DhcpServer} holds it under
 * its lock.
 */
final class AddressChooser {
    /** Past this many pending offers, expired ones are swept (at most once a second). */
    private static final int OFFER_SWEEP_THRESHOLD = 4096;

    private record Offer(String clientKey, long until) {
    }

    private final NetworkConfig cfg;
    private final LeaseTable table;
    private final EventLog guestLog;
    private final Map<Integer, Offer> offers = new HashMap<>();
    private final Map<String, Integer> offerByClient = new HashMap<>();
    private final Map<Integer, Long> declined = new HashMap<>();
    private int cursor;
    private long lastOfferSweep;

    AddressChooser(NetworkConfig cfg, LeaseTable table, EventLog guestLog) {
        this.cfg = cfg;
        this.table = table;
        this.guestLog = guestLog;
        this.cursor = cfg.poolStart();
    }

    /** The address for this client now, or null (pool exhausted, or its reserved address is held: logged). */
    Integer choose(DhcpMessage m, String key, long now) {
        StaticLease st = table.staticFor(m.mac());
        if (st != null) {
            Lease holder = table.holder(st.ip());
            if (holder == null || holder.clientKey().equals(key) || holder.mac().equals(m.mac())) {
                return st.ip();
            }
            // A dynamic client still holds the reserved address; the static client waits (logged).
            guestLog.warn("static_busy", "mac", m.mac(), "ip", Ip4.format(st.ip()), "holder", holder.mac());
            return null;
        }
        Lease cur = table.lease(key);
        if (cur != null && allowedFor(key, m.mac(), cur.ip(), now)) {
            return cur.ip();
        }
        Integer offered = offerByClient.get(key);
        if (offered != null && allowedFor(key, m.mac(), offered, now)) {
            return offered;
        }
        Integer prev = table.remembered(key);
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
    boolean allowedFor(String key, Mac mac, int ip, long now) {
        StaticLease mine = table.staticFor(mac);
        if (mine != null) {
            return mine.ip() == ip;
        }
        if (!cfg.inPool(ip) || table.reserved(ip)) {
            return false;
        }
        Long until = declined.get(ip);
        if (until != null) {
            if (until > now) {
                return false;
            }
            declined.remove(ip);
        }
        Lease holder = table.holder(ip);
        if (holder != null && !holder.clientKey().equals(key)) {
            return false;
        }
        Offer o = offers.get(ip);
        return o == null || o.clientKey().equals(key) || o.until() <= now;
    }

    /** Holds {@code ip} for this client's REQUEST, replacing an earlier offer to it. */
    void offer(String key, int ip, long now) {
        Integer oldOffer = offerByClient.put(key, ip);
        if (oldOffer != null && !oldOffer.equals(ip)) {
            offers.remove(oldOffer);
        }
        offers.put(ip, new Offer(key, now + NetworkConfig.OFFER_HOLD_SECONDS));
    }

    /** Drops the client's pending offer (it chose another server, or took the address). */
    void withdraw(String key) {
        Integer ip = offerByClient.remove(key);
        if (ip != null) {
            offers.remove(ip);
        }
    }

    /** Whether {@code ip} is offered to this client now. */
    boolean offeredTo(String key, int ip) {
        Offer o = offers.get(ip);
        return o != null && o.clientKey().equals(key);
    }

    /** Sets a declined address aside (RFC 2131 4.3.3) and drops the client's offer. */
    void decline(String key, int ip, long now) {
        declined.put(ip, now + NetworkConfig.DECLINE_HOLD_SECONDS);
        offers.remove(ip);
        offerByClient.remove(key);
    }

    /** Sweeps expired offers when there are many (a sweep walks every pending offer). */
    void sweep(long now) {
        if (offers.size() > OFFER_SWEEP_THRESHOLD && now != lastOfferSweep) {
            lastOfferSweep = now;
            offers.entrySet().removeIf(e -> {
                if (e.getValue().until() <= now) {
                    offerByClient.remove(e.getValue().clientKey(), e.getKey());
                    return true;
                }
                return false;
            });
        }
    }

    /** Forgets every offer and declined address (the bindings were replaced). */
    void clear() {
        offers.clear();
        offerByClient.clear();
        declined.clear();
    }
}
