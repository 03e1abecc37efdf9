package org.qemu.helpers.slirpdhcp.engine;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The DNS engine (RFC 1035): authoritative A/PTR answers for the VM domain and the network's reverse zone, NXDOMAIN
 * for unknown names there, everything else forwarded to upstream resolvers in order with fallback, through a
 * TTL-bounded cache. UDP answers are truncated to the client's size (512, or its EDNS0 size, RFC 6891 6.2.5).
 * No sockets: the upstream exchange is injected.
 */
public final class DnsResolver {
    /** Local answers are short-lived: leases come and go. */
    public static final long LOCAL_TTL = 60;
    public static final long MAX_CACHE_TTL = 3600;
    public static final long MAX_NEGATIVE_TTL = 300;
    public static final int MAX_CACHE_ENTRIES = 10000;
    /** RFC 6891 6.2.5: the payload size we advertise and accept at most over UDP. */
    public static final int EDNS_PAYLOAD = 1232;

    /** One upstream resolver; {@code exchange} applies its own timeout and throws on failure or timeout. */
    public interface Upstream {
        String name();

        Message exchange(Message query) throws IOException;
    }

    /** The result of {@link #handle}: a reply now, nothing, or a query to forward off the receive thread. */
    public sealed interface Result {
    }

    public record Reply(byte[] wire) implements Result {
    }

    public record Drop(String reason) implements Result {
    }

    public record Forward(Message query, int limit) implements Result {
    }

    private record CacheEntry(Message response, long storedMs, long expiresMs) {
    }

    private final NetworkConfig cfg;
    private final LocalZone zone;
    private final List<Upstream> upstreams;
    private final Statistics stats;
    private final LongSupplier clockMs;
    private final Consumer<String> log;
    private final Name domainName;
    private final Name reverseZone;
    private final LinkedHashMap<String, CacheEntry> cache = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CacheEntry> e) {
            return size() > MAX_CACHE_ENTRIES;
        }
    };
    private volatile int preferred;

    /**
     * Wire answers to local questions keyed by the query bytes after the ID (and the size limit): a repeated query
     * is answered by copying the bytes and patching the ID. Entries carry the zone generation they were built
     * from, so any change to leases or host records invalidates them.
     */
    private final java.util.concurrent.ConcurrentHashMap<QueryKey, LocalAnswer> localAnswers =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final int MAX_LOCAL_ANSWERS = 4096;

    private record LocalAnswer(long generation, byte[] wire) {
    }

    private static final class QueryKey {
        private final byte[] bytes;
        private final int limit;
        private final int hash;

        QueryKey(byte[] query, int limit) {
            this.bytes = java.util.Arrays.copyOfRange(query, 2, query.length);
            this.limit = limit;
            this.hash = java.util.Arrays.hashCode(bytes) * 31 + limit;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof QueryKey k && k.limit == limit && java.util.Arrays.equals(k.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    public DnsResolver(NetworkConfig cfg, LocalZone zone, List<Upstream> upstreams, Statistics stats,
                       LongSupplier clockMs, Consumer<String> log) {
        this.cfg = cfg;
        this.zone = zone;
        this.upstreams = List.copyOf(upstreams);
        this.stats = stats;
        this.clockMs = clockMs;
        this.log = log;
        try {
            this.domainName = cfg.domain().isEmpty() ? null : Name.fromString(cfg.domain() + ".");
            StringBuilder rz = new StringBuilder();
            int octets = cfg.prefix() / 8;
            for (int i = octets - 1; i >= 0; i--) {
                rz.append((cfg.network() >>> (24 - 8 * i)) & 0xff).append('.');
            }
            this.reverseZone = Name.fromString(rz + "in-addr.arpa.");
        } catch (TextParseException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * Handles one query. {@code udpLimit} is the transport's largest UDP payload, or 0 for TCP (RFC 1035 4.2.2:
     * no truncation there).
     */
    public Result handle(byte[] wire, int udpLimit) {
        if (wire.length < 12) {
            stats.inc(Statistics.DROPPED_MALFORMED);
            return new Drop("shorter than a DNS header");
        }
        if ((wire[2] & 0x80) != 0) {
            stats.inc(Statistics.DROPPED_MALFORMED);
            return new Drop("a response, not a query");
        }
        QueryKey key = wire.length <= 512 ? new QueryKey(wire, udpLimit) : null;
        if (key != null) {
            LocalAnswer hit = localAnswers.get(key);
            if (hit != null && hit.generation() == zone.generation()) {
                byte[] out = hit.wire().clone();
                out[0] = wire[0];
                out[1] = wire[1];
                stats.inc(Statistics.DNS_QUERIES);
                stats.inc(Statistics.DNS_LOCAL);
                if ((out[3] & 0xf) == Rcode.NXDOMAIN) {
                    stats.inc(Statistics.DNS_NXDOMAIN);
                }
                return new Reply(out);
            }
        }
        long generation = zone.generation();
        Message q;
        try {
            q = new Message(wire);
        } catch (IOException | RuntimeException e) {
            stats.inc(Statistics.DROPPED_MALFORMED);
            return new Reply(errorHeader(wire, Rcode.FORMERR));
        }
        stats.inc(Statistics.DNS_QUERIES);
        int limit = responseLimit(q, udpLimit);
        if (q.getHeader().getOpcode() != Opcode.QUERY) {
            return new Reply(respond(q, Rcode.NOTIMP, false, limit));
        }
        Record question = q.getQuestion();
        if (question == null || q.getHeader().getCount(Section.QUESTION) != 1
                || q.getHeader().getCount(Section.ANSWER) != 0) {
            return new Reply(respond(q, Rcode.FORMERR, false, limit));
        }
        OPTRecord opt = q.getOPT();
        if (opt != null && opt.getVersion() != 0) {
            // RFC 6891 6.1.3: unsupported EDNS version gets BADVERS.
            Message r = baseResponse(q, false);
            r.getHeader().setRcode(Rcode.NOERROR);
            r.addRecord(new OPTRecord(EDNS_PAYLOAD, Rcode.BADVERS >>> 4, 0), Section.ADDITIONAL);
            return new Reply(r.toWire(limit));
        }
        Optional<Message> local = answerLocally(q);
        if (local.isPresent()) {
            stats.inc(Statistics.DNS_LOCAL);
            byte[] out = finish(local.get(), q, limit);
            if (key != null) {
                if (localAnswers.size() >= MAX_LOCAL_ANSWERS) {
                    localAnswers.clear();
                }
                localAnswers.put(key, new LocalAnswer(generation, out));
            }
            return new Reply(out);
        }
        Message cached = fromCache(q);
        if (cached != null) {
            stats.inc(Statistics.DNS_CACHE_HITS);
            return new Reply(finish(cached, q, limit));
        }
        if (upstreams.isEmpty()) {
            return new Reply(respond(q, Rcode.REFUSED, false, limit));
        }
        return new Forward(q, limit);
    }

    /** Forwards a query: upstreams in order starting at the last good one, next on timeout or SERVFAIL/REFUSED. */
    public byte[] forward(Forward f) {
        Message q = f.query();
        Record question = q.getQuestion();
        Message up = Message.newQuery(question);
        up.getHeader().setFlag(Flags.RD);
        up.addRecord(new OPTRecord(EDNS_PAYLOAD, 0, 0), Section.ADDITIONAL);
        int n = upstreams.size();
        int start = preferred;
        stats.inc(Statistics.DNS_FORWARDED);
        for (int i = 0; i < n; i++) {
            int idx = (start + i) % n;
            Upstream u = upstreams.get(idx);
            try {
                Message r = u.exchange(up);
                int rc = r.getRcode();
                if (rc == Rcode.SERVFAIL || rc == Rcode.REFUSED || rc == Rcode.NOTIMP || rc == Rcode.FORMERR) {
                    log.accept("dns_upstream_error upstream=" + u.name() + " rcode=" + Rcode.string(rc));
                    stats.inc(Statistics.DNS_UPSTREAM_FAILURES);
                    continue;
                }
                Record rq = r.getQuestion();
                if (rq == null || !rq.getName().equals(question.getName()) || rq.getType() != question.getType()) {
                    stats.inc(Statistics.DNS_UPSTREAM_FAILURES);
                    continue;
                }
                preferred = idx;
                store(question, r);
                return finish(r, q, f.limit());
            } catch (IOException | RuntimeException e) {
                stats.inc(Statistics.DNS_UPSTREAM_FAILURES);
                log.accept("dns_upstream_failed upstream=" + u.name() + " error=\""
                        + Hostnames.escape(String.valueOf(e.getMessage())) + "\"");
            }
        }
        return respond(q, Rcode.SERVFAIL, false, f.limit());
    }

    /** Handles a query to completion, forwarding on the calling thread (TCP and tests). */
    public byte[] resolve(byte[] wire, int udpLimit) {
        Result r = handle(wire, udpLimit);
        if (r instanceof Reply reply) {
            return reply.wire();
        }
        if (r instanceof Forward fwd) {
            return forward(fwd);
        }
        return null;
    }

    private Optional<Message> answerLocally(Message q) {
        Record question = q.getQuestion();
        Name qname = question.getName();
        String name = lower(qname);
        int type = question.getType();
        boolean hostRecord = zone.isHostName(name);
        boolean inDomain = domainName != null && qname.subdomain(domainName);
        boolean inReverse = qname.subdomain(reverseZone);
        if (!hostRecord && !inDomain && !inReverse) {
            return Optional.empty();
        }
        if (question.getDClass() != DClass.IN && question.getDClass() != DClass.ANY) {
            Message r = baseResponse(q, true);
            r.getHeader().setRcode(Rcode.REFUSED);
            return Optional.of(r);
        }
        Optional<Integer> revIp = inReverse && !hostRecord ? reverseIp(name) : Optional.empty();
        if (revIp.isPresent() && !cfg.contains(revIp.get())) {
            return Optional.empty(); // the reverse zone is octet-aligned and may be wider than the network
        }
        Message r = baseResponse(q, true);
        if (inReverse && !hostRecord) {
            Optional<Integer> ip = revIp;
            if (ip.isEmpty() && name.split("\\.").length < 6) {
                return Optional.of(negative(r, reverseZone, Rcode.NOERROR)); // an empty non-terminal of the zone
            }
            Optional<String> target = ip.flatMap(zone::reverse);
            if (target.isEmpty()) {
                return Optional.of(negative(r, reverseZone, Rcode.NXDOMAIN));
            }
            if (type == Type.PTR || type == Type.ANY) {
                r.addRecord(new PTRRecord(qname, DClass.IN, LOCAL_TTL, absolute(target.get())), Section.ANSWER);
            } else {
                return Optional.of(negative(r, reverseZone, Rcode.NOERROR));
            }
            return Optional.of(r);
        }
        Optional<Integer> ip = zone.lookup(name);
        Name apex = inDomain ? domainName : qname;
        if (ip.isEmpty()) {
            if (name.equals(cfg.domain())) {
                return Optional.of(negative(r, apex, Rcode.NOERROR));
            }
            stats.inc(Statistics.DNS_NXDOMAIN);
            return Optional.of(negative(r, apex, Rcode.NXDOMAIN));
        }
        if (type == Type.A || type == Type.ANY) {
            r.addRecord(new ARecord(qname, DClass.IN, LOCAL_TTL, Ip4.inet(ip.get())), Section.ANSWER);
            return Optional.of(r);
        }
        return Optional.of(negative(r, apex, Rcode.NOERROR)); // NODATA (RFC 2308 2.2)
    }

    /** A negative answer with our SOA in authority (RFC 2308 3). */
    private Message negative(Message r, Name apex, int rcode) {
        r.getHeader().setRcode(rcode);
        try {
            Name mname = Name.fromString("ns", apex);
            Name rname = Name.fromString("hostmaster", apex);
            r.addRecord(new SOARecord(apex, DClass.IN, LOCAL_TTL, mname, rname, 1, 3600, 600, 86400, LOCAL_TTL),
                    Section.AUTHORITY);
        } catch (TextParseException e) {
            // apex too long to prefix: answer without SOA
        }
        return r;
    }

    private static Optional<Integer> reverseIp(String name) {
        String[] p = name.split("\\.");
        if (p.length != 6) {
            return Optional.empty();
        }
        try {
            return Optional.of(Ip4.parse(p[3] + "." + p[2] + "." + p[1] + "." + p[0]));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private Message baseResponse(Message q, boolean authoritative) {
        Message r = new Message(q.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        if (q.getHeader().getFlag(Flags.RD)) {
            r.getHeader().setFlag(Flags.RD);
        }
        r.getHeader().setFlag(Flags.RA);
        if (authoritative) {
            r.getHeader().setFlag(Flags.AA);
        }
        r.getHeader().setOpcode(q.getHeader().getOpcode());
        Record question = q.getQuestion();
        if (question != null) {
            r.addRecord(question, Section.QUESTION);
        }
        return r;
    }

    private byte[] respond(Message q, int rcode, boolean aa, int limit) {
        Message r = baseResponse(q, aa);
        r.getHeader().setRcode(rcode);
        if (q.getOPT() != null) {
            r.addRecord(new OPTRecord(EDNS_PAYLOAD, 0, 0), Section.ADDITIONAL);
        }
        return r.toWire(limit);
    }

    /** Copies an answer into a reply to {@code q}: its ID and question, our OPT if the client sent one. */
    private byte[] finish(Message answer, Message q, int limit) {
        Message r = new Message(q.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        r.getHeader().setFlag(Flags.RA);
        if (q.getHeader().getFlag(Flags.RD)) {
            r.getHeader().setFlag(Flags.RD);
        }
        if (answer.getHeader().getFlag(Flags.AA)) {
            r.getHeader().setFlag(Flags.AA);
        }
        r.getHeader().setRcode(answer.getRcode() & 0xf);
        r.addRecord(q.getQuestion(), Section.QUESTION);
        for (int s : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
            for (Record rec : answer.getSection(s)) {
                if (rec.getType() != Type.OPT) {
                    r.addRecord(rec, s);
                }
            }
        }
        if (q.getOPT() != null) {
            r.addRecord(new OPTRecord(EDNS_PAYLOAD, 0, 0), Section.ADDITIONAL);
        }
        byte[] out = r.toWire(limit);
        if (out.length >= 4 && (out[2] & 0x02) != 0) {
            stats.inc(Statistics.DNS_TRUNCATED);
        }
        return out;
    }

    /** RFC 1035 4.2.1 / RFC 6891 6.2.5: 512 without EDNS, else the client's size within our bounds. */
    private static int responseLimit(Message q, int udpLimit) {
        if (udpLimit <= 0) {
            return 65535;
        }
        OPTRecord opt = q.getOPT();
        int want = opt == null ? 512 : Math.max(512, opt.getPayloadSize());
        return Math.min(want, Math.max(512, udpLimit));
    }

    private static byte[] errorHeader(byte[] wire, int rcode) {
        byte[] h = new byte[12];
        h[0] = wire[0];
        h[1] = wire[1];
        h[2] = (byte) (0x80 | (wire[2] & 0x78) | (wire[2] & 0x01));
        h[3] = (byte) (0x80 | (rcode & 0xf));
        return h;
    }

    // ---- cache (TTL-bounded, RFC 2308 5 for negative answers) ----

    private static String cacheKey(Record question) {
        return lower(question.getName()) + "|" + question.getType() + "|" + question.getDClass();
    }

    private void store(Record question, Message r) {
        if (r.getHeader().getFlag(Flags.TC)) {
            return;
        }
        long ttl = Long.MAX_VALUE;
        boolean any = false;
        for (int s : new int[] {Section.ANSWER, Section.AUTHORITY}) {
            for (Record rec : r.getSection(s)) {
                any = true;
                long t = rec.getTTL();
                if (rec instanceof SOARecord soa && r.getSection(Section.ANSWER).isEmpty()) {
                    t = Math.min(Math.min(t, soa.getMinimum()), MAX_NEGATIVE_TTL);
                }
                ttl = Math.min(ttl, t);
            }
        }
        if (!any || ttl <= 0) {
            return;
        }
        ttl = Math.min(ttl, MAX_CACHE_TTL);
        long now = clockMs.getAsLong();
        synchronized (cache) {
            cache.put(cacheKey(question), new CacheEntry(r, now, now + ttl * 1000));
        }
    }

    private Message fromCache(Message q) {
        String key = cacheKey(q.getQuestion());
        long now = clockMs.getAsLong();
        CacheEntry e;
        synchronized (cache) {
            e = cache.get(key);
            if (e == null) {
                return null;
            }
            if (e.expiresMs() <= now) {
                cache.remove(key);
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

    /** Number of live cache entries (for tests and statistics). */
    public int cacheSize() {
        synchronized (cache) {
            return cache.size();
        }
    }

    private static String lower(Name n) {
        String s = n.toString(true).toLowerCase(Locale.ROOT);
        return s;
    }

    private Name absolute(String fqdn) {
        try {
            return Name.fromString(fqdn + ".");
        } catch (TextParseException e) {
            throw new IllegalStateException(e);
        }
    }
}
