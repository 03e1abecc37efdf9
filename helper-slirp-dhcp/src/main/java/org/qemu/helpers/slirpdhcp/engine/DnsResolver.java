package org.qemu.helpers.slirpdhcp.engine;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.qemu.helpers.common.log.EventLog;
import java.util.function.LongSupplier;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * The DNS engine (RFC 1035): checks a query, answers it from {@link DnsAuthority} (the VM domain and the
 * network's reverse zone) or {@link DnsCache}, else hands it to {@link DnsForwarder}. UDP answers are truncated to
 * the client's size (512, or its EDNS0 size, RFC 6891 6.2.5). No sockets and no blocking: {@link #handle} answers
 * at once or says to forward; {@link #forward} returns a stage the upstream completes.
 */
public final class DnsResolver {
    /** The result of {@link #handle}: a reply now, nothing, or a query to forward. */
    public sealed interface Result {
    }

    public record Reply(byte[] wire) implements Result {
    }

    public record Drop(String reason) implements Result {
    }

    public record Forward(Message query, int limit) implements Result {
    }

    private final LocalZone zone;
    private final Statistics stats;
    private final DnsAuthority authority;
    private final DnsCache cache;
    private final DnsForwarder forwarder;
    private final LocalAnswerMemo memo;

    public DnsResolver(NetworkConfig cfg, LocalZone zone, List<DnsForwarder.Upstream> upstreams, Statistics stats,
                       LongSupplier clockMs, EventLog log) {
        this(cfg, zone, upstreams, stats, clockMs, log, true);
    }

    /** As the public constructor; {@code memoise} false only to measure what the memo saves (bench/dns-mix.sh). */
    DnsResolver(NetworkConfig cfg, LocalZone zone, List<DnsForwarder.Upstream> upstreams, Statistics stats,
                LongSupplier clockMs, EventLog log, boolean memoise) {
        this.zone = zone;
        this.stats = stats;
        this.authority = new DnsAuthority(cfg, zone, stats);
        this.cache = new DnsCache(clockMs);
        this.forwarder = new DnsForwarder(upstreams, stats, log);
        this.memo = memoise ? new LocalAnswerMemo(zone) : null;
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
        LocalAnswerMemo.Key key = memo == null ? null : LocalAnswerMemo.key(wire, udpLimit);
        byte[] memoised = key == null ? null : memo.lookup(key, wire);
        if (memoised != null) {
            stats.inc(Statistics.DNS_QUERIES);
            stats.inc(Statistics.DNS_LOCAL);
            if ((memoised[3] & 0xf) == Rcode.NXDOMAIN) {
                stats.inc(Statistics.DNS_NXDOMAIN);
            }
            return new Reply(memoised);
        }
        long generation = zone.generation();
        Message q;
        try {
            q = new Message(wire);
        } catch (IOException | RuntimeException e) {
            stats.inc(Statistics.DROPPED_MALFORMED);
            return new Reply(DnsReplies.errorHeader(wire, Rcode.FORMERR));
        }
        stats.inc(Statistics.DNS_QUERIES);
        int limit = responseLimit(q, udpLimit);
        if (q.getHeader().getOpcode() != Opcode.QUERY) {
            return new Reply(DnsReplies.rcode(q, Rcode.NOTIMP, limit));
        }
        Record question = q.getQuestion();
        if (question == null || q.getHeader().getCount(Section.QUESTION) != 1
                || q.getHeader().getCount(Section.ANSWER) != 0) {
            return new Reply(DnsReplies.rcode(q, Rcode.FORMERR, limit));
        }
        OPTRecord opt = q.getOPT();
        if (opt != null && opt.getVersion() != 0) {
            // RFC 6891 6.1.3: unsupported EDNS version gets BADVERS.
            Message r = DnsReplies.base(q, false);
            r.getHeader().setRcode(Rcode.NOERROR);
            r.addRecord(new OPTRecord(DnsReplies.EDNS_PAYLOAD, Rcode.BADVERS >>> 4, 0), Section.ADDITIONAL);
            return new Reply(r.toWire(limit));
        }
        Optional<Message> local = authority.answer(q);
        if (local.isPresent()) {
            stats.inc(Statistics.DNS_LOCAL);
            byte[] out = finish(local.get(), q, limit);
            if (key != null) {
                memo.remember(key, generation, out);
            }
            return new Reply(out);
        }
        Message cached = cache.lookup(question);
        if (cached != null) {
            stats.inc(Statistics.DNS_CACHE_HITS);
            return new Reply(finish(cached, q, limit));
        }
        if (forwarder.isEmpty()) {
            return new Reply(DnsReplies.rcode(q, Rcode.REFUSED, limit));
        }
        if (forwarder.saturated()) {
            stats.inc(Statistics.DROPPED_OTHER);
            return new Drop(DnsForwarder.MAX_IN_FLIGHT + " queries already wait for upstreams");
        }
        return new Forward(q, limit);
    }

    /** The reply to a forwarded query once an upstream answered (then cached), or SERVFAIL when none did. */
    public CompletionStage<byte[]> forward(Forward f) {
        Message q = f.query();
        Record question = q.getQuestion();
        return forwarder.forward(question).thenApply(answer -> {
            if (answer.isEmpty()) {
                return DnsReplies.rcode(q, Rcode.SERVFAIL, f.limit());
            }
            cache.store(question, answer.get());
            return finish(answer.get(), q, f.limit());
        });
    }

    /** Handles a query to completion: the reply (null for a query that gets none) when it is ready. */
    public CompletionStage<byte[]> resolve(byte[] wire, int udpLimit) {
        Result r = handle(wire, udpLimit);
        if (r instanceof Reply reply) {
            return CompletableFuture.completedFuture(reply.wire());
        }
        if (r instanceof Forward fwd) {
            return forward(fwd);
        }
        return CompletableFuture.completedFuture(null);
    }

    private byte[] finish(Message answer, Message q, int limit) {
        byte[] out = DnsReplies.finish(answer, q, limit);
        if (DnsReplies.truncated(out)) {
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

    /** Number of live cache entries (for tests and statistics). */
    public int cacheSize() {
        return cache.size();
    }
}
