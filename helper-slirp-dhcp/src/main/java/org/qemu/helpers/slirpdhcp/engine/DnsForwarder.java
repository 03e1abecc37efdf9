package org.qemu.helpers.slirpdhcp.engine;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.qemu.helpers.common.log.EventLog;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * Recursion by forwarding (RFC 1035 7): upstreams in order starting at the last good one, the next one on a
 * failure, a timeout, SERVFAIL, REFUSED, NOTIMP, FORMERR or an answer to another question. Never blocks: each
 * exchange is a {@link CompletionStage} the upstream completes when its answer arrives or its timeout fires, and
 * the next attempt starts from that completion. No sockets here: the upstreams are injected.
 */
public final class DnsForwarder {
    /** One upstream resolver; the stage completes exceptionally on failure or after the upstream's own timeout. */
    public interface Upstream {
        String name();

        CompletionStage<Message> exchange(Message query);
    }

    /**
     * Queries waiting for an upstream at most; past it new ones are dropped and counted (the stub retries), so a
     * guest sending unique names as fast as it can holds a bounded number of upstream sockets and stages (dnsjava
     * opens a datagram socket per query in flight; the thread pool this replaced ran 32 at a time).
     */
    public static final int MAX_IN_FLIGHT = 512;

    private final AtomicInteger inFlight = new AtomicInteger();
    private final List<Upstream> upstreams;
    private final Statistics stats;
    private final EventLog log;
    private volatile int preferred;

    public DnsForwarder(List<Upstream> upstreams, Statistics stats, EventLog log) {
        this.upstreams = List.copyOf(upstreams);
        this.stats = stats;
        this.log = log;
    }

    public boolean isEmpty() {
        return upstreams.isEmpty();
    }

    /** Whether {@link #MAX_IN_FLIGHT} queries are waiting for upstreams now. */
    public boolean saturated() {
        return inFlight.get() >= MAX_IN_FLIGHT;
    }

    /** The first usable upstream answer to {@code question}, or empty when every upstream failed. */
    public CompletionStage<Optional<Message>> forward(Record question) {
        inFlight.incrementAndGet();
        Message up = Message.newQuery(question);
        up.getHeader().setFlag(Flags.RD);
        up.addRecord(new OPTRecord(DnsReplies.EDNS_PAYLOAD, 0, 0), Section.ADDITIONAL);
        stats.inc(Statistics.DNS_FORWARDED);
        return attempt(up, question, preferred, 0).whenComplete((r, e) -> inFlight.decrementAndGet());
    }

    private CompletionStage<Optional<Message>> attempt(Message up, Record question, int start, int tried) {
        int n = upstreams.size();
        if (tried == n) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        int idx = (start + tried) % n;
        Upstream u = upstreams.get(idx);
        CompletionStage<Message> exchange;
        try {
            exchange = u.exchange(up);
        } catch (RuntimeException e) {
            exchange = CompletableFuture.failedFuture(e);
        }
        return exchange.handle((r, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                stats.inc(Statistics.DNS_UPSTREAM_FAILURES);
                log.warn("dns_upstream_failed", "upstream", u.name(), "error", String.valueOf(cause.getMessage()));
                return attempt(up, question, start, tried + 1);
            }
            int rc = r.getRcode();
            if (rc == Rcode.SERVFAIL || rc == Rcode.REFUSED || rc == Rcode.NOTIMP || rc == Rcode.FORMERR) {
                log.warn("dns_upstream_error", "upstream", u.name(), "rcode", Rcode.string(rc));
                stats.inc(Statistics.DNS_UPSTREAM_FAILURES);
                return attempt(up, question, start, tried + 1);
            }
            if (mismatch(up, r) != null) {
                stats.inc(Statistics.DNS_UPSTREAM_FAILURES);
                return attempt(up, question, start, tried + 1);
            }
            preferred = idx;
            return CompletableFuture.completedFuture(Optional.of(r));
        }).thenCompose(next -> next);
    }

    /**
     * Why {@code reply} is not the upstream's answer to {@code sent}, or null when it is: the ID, QR set, opcode
     * QUERY and the one question (name, type, class) must be those sent (RFC 1035 4.1.1, RFC 5452 9.1). dnsjava's
     * resolver checks ID and question too; this holds for every {@link Upstream}, so that an answer reaches the
     * guest (and the cache) only for the query it asked.
     */
    static String mismatch(Message sent, Message reply) {
        if (reply.getHeader().getID() != sent.getHeader().getID()) {
            return "id " + reply.getHeader().getID() + ", sent " + sent.getHeader().getID();
        }
        if (!reply.getHeader().getFlag(Flags.QR) || reply.getHeader().getOpcode() != Opcode.QUERY) {
            return "not a response to a standard query";
        }
        Record q = sent.getQuestion();
        Record rq = reply.getQuestion();
        if (rq == null || reply.getHeader().getCount(Section.QUESTION) != 1 || !rq.getName().equals(q.getName())
                || rq.getType() != q.getType() || rq.getDClass() != q.getDClass()) {
            return "another question";
        }
        return null;
    }
}
