package org.qemu.helpers.slirpdhcp.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import org.qemu.helpers.common.log.EventLog;

/**
 * Engine-level DNS tests. The upstream here is an in-process function standing in for a resolver so that timeouts
 * and failures can be forced; the real-upstream behaviour is proven against dnsmasq in the transport tests.
 */
class DnsResolverTest {
    private final NetworkConfig cfg = NetworkConfig.slirpDefaults("vm.internal");
    private final Statistics stats = new Statistics();
    private final AtomicLong clock = new AtomicLong(1_000_000);
    private final DhcpServer dhcp = new DhcpServer(cfg, new LocalZone("vm.internal"), stats, EventLog.NONE);

    private DnsResolver resolver(List<DnsForwarder.Upstream> ups) {
        return new DnsResolver(cfg, dhcp.zone(), ups, stats, clock::get, EventLog.NONE);
    }

    private static byte[] query(String name, int type, boolean edns) throws Exception {
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        if (edns) {
            q.addRecord(new OPTRecord(4096, 0, 0), Section.ADDITIONAL);
        }
        return q.toWire();
    }

    /** An upstream that answers at once (the stage is complete when returned), or fails as {@code a} throws. */
    private static DnsForwarder.Upstream upstream(String name, AtomicInteger calls, Answerer a) {
        return new DnsForwarder.Upstream() {
            public String name() {
                return name;
            }

            public CompletionStage<Message> exchange(Message q) {
                calls.incrementAndGet();
                try {
                    return CompletableFuture.completedFuture(a.answer(q));
                } catch (IOException e) {
                    return CompletableFuture.failedFuture(e);
                }
            }
        };
    }

    /** The reply to one query once its stage completed (every upstream here completes at once). */
    private static byte[] resolve(DnsResolver r, byte[] query, int limit) {
        return r.resolve(query, limit).toCompletableFuture().join();
    }

    interface Answerer {
        Message answer(Message q) throws IOException;
    }

    private static Message answerA(Message q, String ip, long ttl) throws IOException {
        Message r = new Message(q.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        r.addRecord(q.getQuestion(), Section.QUESTION);
        r.addRecord(new ARecord(q.getQuestion().getName(), DClass.IN, ttl, InetAddress.getByName(ip)), Section.ANSWER);
        return r;
    }

    @Test
    void leaseNamesAnswerAAndPtrAuthoritatively() throws Exception {
        dhcp.addHost(new HostRecord("files.vm.internal", Ip4.parse("10.0.2.40")));
        DnsResolver r = resolver(List.of());
        Message a = new Message(resolve(r, query("files.vm.internal.", Type.A, false), 512));
        assertEquals(Rcode.NOERROR, a.getRcode());
        assertTrue(a.getHeader().getFlag(Flags.AA));
        assertEquals("10.0.2.40", ((ARecord) a.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress());
        Name rev = ReverseMap.fromAddress("10.0.2.40");
        Message p = new Message(resolve(r, query(rev.toString(), Type.PTR, false), 512));
        assertEquals("files.vm.internal.", ((PTRRecord) p.getSection(Section.ANSWER).get(0)).getTarget().toString());
    }

    @Test
    void unknownNamesInTheDomainAreNxdomainWithSoa() throws Exception {
        DnsResolver r = resolver(List.of());
        Message m = new Message(resolve(r, query("nobody.vm.internal.", Type.A, false), 512));
        assertEquals(Rcode.NXDOMAIN, m.getRcode());
        assertEquals(Type.SOA, m.getSection(Section.AUTHORITY).get(0).getType());
        Message ptr = new Message(resolve(r, query("99.2.0.10.in-addr.arpa.", Type.PTR, false), 512));
        assertEquals(Rcode.NXDOMAIN, ptr.getRcode());
        assertEquals(1, stats.get(Statistics.DNS_NXDOMAIN));
    }

    @Test
    void otherTypesOfALocalNameAreNodata() throws Exception {
        dhcp.addHost(new HostRecord("files.vm.internal", Ip4.parse("10.0.2.40")));
        Message m = new Message(resolve(resolver(List.of()), query("files.vm.internal.", Type.AAAA, false), 512));
        assertEquals(Rcode.NOERROR, m.getRcode());
        assertTrue(m.getSection(Section.ANSWER).isEmpty());
    }

    @Test
    void forwardedAnswersAreCachedUntilTheirTtlRunsOut() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        DnsResolver r = resolver(List.of(upstream("u1", calls, q -> answerA(q, "192.0.2.7", 30))));
        DnsResolver.Result first = r.handle(query("example.org.", Type.A, false), 512);
        byte[] wire = r.forward(assertInstanceOf(DnsResolver.Forward.class, first)).toCompletableFuture().join();
        assertEquals("192.0.2.7", ((ARecord) new Message(wire).getSection(Section.ANSWER).get(0)).getAddress()
                .getHostAddress());
        clock.addAndGet(10_000);
        DnsResolver.Result second = r.handle(query("EXAMPLE.org.", Type.A, false), 512);
        Message cached = new Message(assertInstanceOf(DnsResolver.Reply.class, second).wire());
        assertEquals(20, cached.getSection(Section.ANSWER).get(0).getTTL(), "TTL counts down in the cache");
        assertEquals(1, calls.get());
        assertEquals(1, stats.get(Statistics.DNS_CACHE_HITS));
        clock.addAndGet(21_000);
        assertInstanceOf(DnsResolver.Forward.class, r.handle(query("example.org.", Type.A, false), 512));
    }

    @Test
    void failingUpstreamFallsBackToTheNextAndThenPrefersIt() throws Exception {
        AtomicInteger bad = new AtomicInteger();
        AtomicInteger good = new AtomicInteger();
        DnsResolver r = resolver(List.of(
                upstream("down", bad, q -> {
                    throw new java.net.SocketTimeoutException("timed out");
                }),
                upstream("up", good, q -> answerA(q, "192.0.2.8", 0))));
        for (int i = 0; i < 3; i++) {
            Message m = new Message(resolve(r, query("x" + i + ".example.", Type.A, false), 512));
            assertEquals(Rcode.NOERROR, m.getRcode());
        }
        assertEquals(1, bad.get(), "after one failure the good upstream is tried first");
        assertEquals(3, good.get(), "TTL 0 answers are not cached");
    }

    @Test
    void allUpstreamsFailingGivesServfail() throws Exception {
        DnsResolver r = resolver(List.of(upstream("a", new AtomicInteger(), q -> {
            Message m = new Message(q.getHeader().getID());
            m.getHeader().setRcode(Rcode.SERVFAIL);
            m.addRecord(q.getQuestion(), Section.QUESTION);
            return m;
        })));
        Message m = new Message(resolve(r, query("example.org.", Type.A, false), 512));
        assertEquals(Rcode.SERVFAIL, m.getRcode());
    }

    @Test
    void bigAnswersAreTruncatedOverUdpUnlessEdnsAllowsThemOrTcp() throws Exception {
        Answerer many = q -> {
            Message m = new Message(q.getHeader().getID());
            m.getHeader().setFlag(Flags.QR); // a response (the forwarder takes nothing else)
            m.addRecord(q.getQuestion(), Section.QUESTION);
            for (int i = 1; i <= 60; i++) {
                m.addRecord(new ARecord(q.getQuestion().getName(), DClass.IN, 300,
                        InetAddress.getByName("192.0.2." + i)), Section.ANSWER);
            }
            return m;
        };
        DnsResolver r = resolver(List.of(upstream("u", new AtomicInteger(), many)));
        byte[] plain = resolve(r, query("big.example.", Type.A, false), 65535);
        assertTrue(plain.length <= 512);
        assertTrue(new Message(plain).getHeader().getFlag(Flags.TC));
        byte[] edns = resolve(r, query("big.example.", Type.A, true), 65535);
        Message e = new Message(edns);
        assertTrue(edns.length > 512);
        assertTrue(!e.getHeader().getFlag(Flags.TC));
        assertEquals(60, e.getSection(Section.ANSWER).size());
        assertNotNull(e.getOPT(), "EDNS0 answered with OPT");
        Message tcp = new Message(resolve(r, query("big.example.", Type.A, false), 0));
        assertEquals(60, tcp.getSection(Section.ANSWER).size());
        assertTrue(stats.get(Statistics.DNS_TRUNCATED) >= 1);
    }

    @Test
    void garbageIsDroppedOrAnsweredWithFormerr() throws Exception {
        DnsResolver r = resolver(List.of());
        assertInstanceOf(DnsResolver.Drop.class, r.handle(new byte[5], 512));
        byte[] junk = new byte[40];
        junk[0] = 0x12;
        junk[1] = 0x34;
        junk[5] = 1; // one question, then nothing parseable
        junk[12] = 63;
        DnsResolver.Reply rep = assertInstanceOf(DnsResolver.Reply.class, r.handle(junk, 512));
        Message m = new Message(rep.wire());
        assertEquals(Rcode.FORMERR, m.getRcode());
        assertEquals(0x1234, m.getHeader().getID());
        List<byte[]> responses = new ArrayList<>();
        byte[] resp = query("a.vm.internal.", Type.A, false);
        resp[2] |= (byte) 0x80;
        assertInstanceOf(DnsResolver.Drop.class, r.handle(resp, 512), "responses are never answered (no loops)");
        assertTrue(responses.isEmpty());
    }

    @Test
    void repeatedLocalQueriesAreServedFromBytesUntilTheZoneChanges() throws Exception {
        dhcp.addHost(new HostRecord("fast.vm.internal", Ip4.parse("10.0.2.41")));
        DnsResolver r = resolver(List.of());
        byte[] q = query("fast.vm.internal.", Type.A, false);
        Message first = new Message(resolve(r, q, 512));
        q[0] = 0x55;
        q[1] = 0x66;
        byte[] second = resolve(r, q, 512);
        Message m2 = new Message(second);
        assertEquals(0x5566, m2.getHeader().getID(), "the ID is patched in");
        assertEquals(first.getSection(Section.ANSWER), m2.getSection(Section.ANSWER));
        dhcp.removeHost("fast.vm.internal");
        assertEquals(Rcode.NXDOMAIN, new Message(resolve(r, q, 512)).getRcode(), "a zone change invalidates");
        assertEquals(3, stats.get(Statistics.DNS_LOCAL));
    }

    @Test
    void reverseNamesOutsideANarrowNetworkAreForwardedAndTheZoneApexIsNodata() throws Exception {
        NetworkConfig narrow = NetworkConfig.forNetwork(Ip4.parse("10.0.16.0"), 20, "vm.internal");
        AtomicInteger calls = new AtomicInteger();
        DnsResolver r = new DnsResolver(narrow, dhcp.zone(), List.of(upstream("u", calls, q -> {
            Message m = new Message(q.getHeader().getID());
            m.getHeader().setRcode(Rcode.NXDOMAIN);
            m.addRecord(q.getQuestion(), Section.QUESTION);
            return m;
        })), stats, clock::get, EventLog.NONE);
        assertInstanceOf(DnsResolver.Forward.class, r.handle(query("5.1.0.10.in-addr.arpa.", Type.PTR, false), 512));
        Message inside = new Message(resolve(r, query("5.17.0.10.in-addr.arpa.", Type.PTR, false), 512));
        assertEquals(Rcode.NXDOMAIN, inside.getRcode());
        assertTrue(inside.getHeader().getFlag(Flags.AA));
        Message apex = new Message(resolve(r, query("0.10.in-addr.arpa.", Type.SOA, false), 512));
        assertEquals(Rcode.NOERROR, apex.getRcode());
        assertEquals(0, calls.get());
    }

    @Test
    void aSlowUpstreamHoldsNoThreadAndLocalNamesAreAnsweredMeanwhile() throws Exception {
        dhcp.addHost(new HostRecord("files.vm.internal", Ip4.parse("10.0.2.40")));
        List<CompletableFuture<Message>> pending = new ArrayList<>();
        List<Message> asked = new ArrayList<>();
        DnsResolver r = resolver(List.of(new DnsForwarder.Upstream() {
            public String name() {
                return "slow";
            }

            public CompletionStage<Message> exchange(Message q) {
                CompletableFuture<Message> f = new CompletableFuture<>();
                pending.add(f);
                asked.add(q);
                return f;
            }
        }));
        CompletableFuture<byte[]> forwarded = r.resolve(query("example.org.", Type.A, false), 512)
                .toCompletableFuture();
        assertTrue(!forwarded.isDone(), "resolve returned before the upstream answered: it did not wait");
        Message local = new Message(resolve(r, query("files.vm.internal.", Type.A, false), 512));
        assertEquals(Rcode.NOERROR, local.getRcode());
        assertEquals(1, pending.size());
        pending.get(0).complete(answerA(asked.get(0), "192.0.2.9", 60));
        Message m = new Message(forwarded.get(5, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals("192.0.2.9", ((ARecord) m.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress());
        assertEquals(1, r.cacheSize(), "the late answer is cached");
    }

    @Test
    void anUpstreamThatTimesOutLaterFallsBackToTheNext() throws Exception {
        CompletableFuture<Message> timingOut = new CompletableFuture<>();
        AtomicInteger good = new AtomicInteger();
        DnsResolver r = resolver(List.of(new DnsForwarder.Upstream() {
            public String name() {
                return "late";
            }

            public CompletionStage<Message> exchange(Message q) {
                return timingOut;
            }
        }, upstream("up", good, q -> answerA(q, "192.0.2.10", 60))));
        CompletableFuture<byte[]> reply = r.resolve(query("late.example.", Type.A, false), 512).toCompletableFuture();
        assertEquals(0, good.get(), "the second upstream is asked only after the first fails");
        timingOut.completeExceptionally(new java.net.SocketTimeoutException("timed out"));
        assertEquals(Rcode.NOERROR, new Message(reply.get(5, java.util.concurrent.TimeUnit.SECONDS)).getRcode());
        assertEquals(1, good.get());
        assertEquals(1, stats.get(Statistics.DNS_UPSTREAM_FAILURES));
    }

    @Test
    void pastTheInFlightBoundNewForwardsAreDroppedAndCounted() throws Exception {
        DnsResolver r = resolver(List.of(new DnsForwarder.Upstream() {
            public String name() {
                return "silent";
            }

            public CompletionStage<Message> exchange(Message q) {
                return new CompletableFuture<>(); // never answers (its timeout would end it)
            }
        }));
        for (int i = 0; i < DnsForwarder.MAX_IN_FLIGHT; i++) {
            DnsResolver.Forward f = assertInstanceOf(DnsResolver.Forward.class,
                    r.handle(query("n" + i + ".example.", Type.A, false), 512));
            r.forward(f);
        }
        long dropped = stats.get(Statistics.DROPPED_OTHER);
        assertInstanceOf(DnsResolver.Drop.class, r.handle(query("one-more.example.", Type.A, false), 512));
        assertEquals(dropped + 1, stats.get(Statistics.DROPPED_OTHER));
        assertInstanceOf(DnsResolver.Reply.class, r.handle(query("x.vm.internal.", Type.A, false), 512),
                "local names are still answered");
    }
}
