package org.qemu.helpers.slirpdhcp.engine;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Upstream answers kept for their TTL (RFC 1035 7.4), at most {@link #MAX_TTL}; negative answers for the SOA
 * minimum (RFC 2308 5), at most {@link #MAX_NEGATIVE_TTL}. Least recently used entries go first past
 * {@link #MAX_ENTRIES}. Served TTLs count down with the time an entry has been kept. Thread-safe.
 */
final class DnsCache {
    static final long MAX_TTL = 3600;
    static final long MAX_NEGATIVE_TTL = 300;
    static final int MAX_ENTRIES = 10000;
    /** RFC 2181 8: TTLs are 31-bit; the parser passes any 32-bit value through. */
    static final long MAX_WIRE_TTL = 0x7fffffffL;

    private record Entry(Message response, long storedMs, long expiresMs) {
    }

    private final LongSupplier clockMs;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Entry> e) {
            return size() > MAX_ENTRIES;
        }
    };

    DnsCache(LongSupplier clockMs) {
        this.clockMs = clockMs;
    }

    private static String key(Record question) {
        return DnsAuthority.lower(question.getName()) + "|" + question.getType() + "|" + question.getDClass();
    }

    /** Keeps an upstream answer to {@code question}, unless truncated, empty or with TTL 0. */
    void store(Record question, Message r) {
        if (r.getHeader().getFlag(Flags.TC)) {
            return;
        }
        long ttl = Long.MAX_VALUE;
        boolean any = false;
        for (int s : new int[] {Section.ANSWER, Section.AUTHORITY}) {
            for (Record rec : r.getSection(s)) {
                any = true;
                long t = rec.getTTL();
                if (t > MAX_WIRE_TTL) {
                    t = 0; // RFC 2181 8: a TTL with the top bit set reads as zero (and dnsjava refuses to rebuild it)
                }
                if (rec instanceof SOARecord soa && r.getSection(Section.ANSWER).isEmpty()) {
                    t = Math.min(Math.min(t, soa.getMinimum()), MAX_NEGATIVE_TTL);
                }
                ttl = Math.min(ttl, t);
            }
        }
        if (!any || ttl <= 0) {
            return;
        }
        ttl = Math.min(ttl, MAX_TTL);
        long now = clockMs.getAsLong();
        synchronized (entries) {
            entries.put(key(question), new Entry(r, now, now + ttl * 1000));
        }
    }

    /** The kept answer to {@code question} with TTLs reduced by its age, or null. */
    Message lookup(Record question) {
        String key = key(question);
        long now = clockMs.getAsLong();
        Entry e;
        synchronized (entries) {
            e = entries.get(key);
            if (e == null) {
                return null;
            }
            if (e.expiresMs() <= now) {
                entries.remove(key);
                return null;
            }
        }
        long age = (now - e.storedMs()) / 1000;
        Message out = new Message(e.response().getHeader().getID());
        out.getHeader().setRcode(e.response().getRcode());
        for (int s : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
            for (Record rec : e.response().getSection(s)) {
                if (rec.getType() == Type.OPT) {
                    continue;
                }
                long ttl = Math.max(0, rec.getTTL() - age);
                out.addRecord(Record.newRecord(rec.getName(), rec.getType(), rec.getDClass(), ttl,
                        rec.rdataToWireCanonical()), s);
            }
        }
        return out;
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }
}
