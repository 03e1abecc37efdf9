package org.qemu.helpers.slirpdhcp.engine;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import org.xbill.DNS.WireParseException;

/**
 * Fuzz target (Jazzer) for what the DNS forwarder accepts from upstream servers (an upstream is outside the VM's
 * trust: a spoofed or broken answer must not reach the guest or the cache): up to four guest queries wait for two
 * upstreams at once, and the input says which pending exchange gets which reply bytes (or a timeout), in any
 * order, any ID, any question, TC, compression pointers, any size. The bytes are parsed as dnsjava's resolver
 * parses a datagram ({@code new Message(byte[])}, a parse failure failing the exchange as it does) and handed to
 * the engine through {@link DnsForwarder.Upstream}; no socket. The test suite replays the committed corpus;
 * {@code deploy/fuzz.sh MINUTES UpstreamReplies} fuzzes for real.
 *
 * <p>Input: byte 0 = queries - 1 (bits 0-1), one upstream or two (bit 2), guest EDNS (bit 3), the guest's
 * transport (bits 4-5: UDP 512, UDP 1232, TCP, UDP 4096); per query a name and a type byte; then deliveries, each
 * a byte (bits 0-1: 0 raw, 1 and 3 with the exchange's ID written over the first two bytes, 2 a timeout; bits
 * 2-7: which pending exchange), a 16-bit length and that many reply bytes.
 *
 * <p>Properties: no exception escapes the engine; every guest query gets a reply within its size limit with its
 * own ID, QR and its own question; the reply carries records only when an upstream reply matched the query
 * (ID, QR, opcode QUERY, one question of that name, type and class, a usable rcode), and only that reply's
 * records; otherwise it is SERVFAIL with none; a later query is answered from the cache only with an accepted,
 * untruncated reply's records for the same question.
 */
class UpstreamRepliesFuzzTest {
    static final String[] NAMES = {"a.example.", "b.example.", "www.example.org.", "x.test.",
            "l".repeat(63) + ".example."};
    static final int[] TYPES = {Type.A, Type.AAAA, Type.CNAME, Type.MX, Type.TXT, Type.PTR, Type.SRV, Type.NS,
            Type.SOA, Type.HTTPS, Type.CAA, Type.ANY};
    private static final int[] LIMITS = {512, 1232, 0, 4096};
    private static final NetworkConfig CFG = NetworkConfig.slirpDefaults("vm.internal");

    /** One exchange the engine started with an upstream, not yet answered. */
    private record Exchange(Message sent, CompletableFuture<Message> answer) {
    }

    @FuzzTest
    void upstreamReplies(byte[] in) throws Exception {
        if (in.length < 1) {
            return;
        }
        int queries = (in[0] & 3) + 1;
        boolean twoUpstreams = (in[0] & 4) != 0;
        boolean edns = (in[0] & 8) != 0;
        int udpLimit = LIMITS[(in[0] >> 4) & 3];
        int pos = 1;
        List<Exchange> pending = new ArrayList<>();
        List<DnsForwarder.Upstream> ups = new ArrayList<>();
        for (String u : twoUpstreams ? List.of("one", "two") : List.of("one")) {
            ups.add(new DnsForwarder.Upstream() {
                @Override
                public String name() {
                    return u;
                }

                @Override
                public CompletionStage<Message> exchange(Message query) {
                    CompletableFuture<Message> f = new CompletableFuture<>();
                    pending.add(new Exchange(query, f));
                    return f;
                }
            });
        }
        Statistics stats = new Statistics();
        long[] now = {1_000_000};
        DnsResolver resolver = new DnsResolver(CFG, new LocalZone("vm.internal"), ups, stats, () -> now[0],
                UpstreamRepliesFuzzTest::ignore);

        Message[] guest = new Message[queries];
        int[] limit = new int[queries];
        List<CompletableFuture<byte[]>> replies = new ArrayList<>();
        Map<Message, Integer> owner = new IdentityHashMap<>(); // the forwarder's upstream query -> guest query
        for (int i = 0; i < queries; i++) {
            int nameByte = pos < in.length ? in[pos++] & 0xff : 0;
            int typeByte = pos < in.length ? in[pos++] & 0xff : 0;
            Record question = Record.newRecord(Name.fromString(NAMES[nameByte % NAMES.length]),
                    TYPES[typeByte % TYPES.length], DClass.IN);
            Message q = Message.newQuery(question);
            q.getHeader().setID(0x1000 + i);
            if (edns) {
                q.addRecord(new OPTRecord(4096, 0, 0), Section.ADDITIONAL);
            }
            guest[i] = q;
            DnsResolver.Result r = resolver.handle(q.toWire(), udpLimit);
            if (!(r instanceof DnsResolver.Forward fwd)) {
                throw new IllegalStateException("a query for " + question.getName() + " was not forwarded: " + r);
            }
            limit[i] = fwd.limit();
            int before = pending.size();
            replies.add(resolver.forward(fwd).toCompletableFuture());
            if (pending.size() != before + 1) {
                throw new IllegalStateException("forwarding started " + (pending.size() - before) + " exchanges");
            }
            owner.put(pending.get(before).sent(), i);
        }

        Message[] accepted = new Message[queries]; // the oracle's own idea of the reply that answers each query
        while (pos < in.length && !pending.isEmpty()) {
            int how = in[pos++] & 0xff;
            int length = pos + 1 < in.length ? ((in[pos] & 0xff) << 8) | (in[pos + 1] & 0xff) : 0;
            pos += 2;
            byte[] wire = Arrays.copyOfRange(in, Math.min(pos, in.length), Math.min(pos + length, in.length));
            pos += length;
            Exchange x = pending.remove((how >> 2) % pending.size());
            Integer guestIndex = owner.get(x.sent());
            if (guestIndex == null) {
                throw new IllegalStateException("an exchange for no guest query");
            }
            if ((how & 3) == 2) {
                x.answer().completeExceptionally(new SocketTimeoutException("fuzz: timed out"));
                continue;
            }
            if ((how & 1) == 1 && wire.length >= 2) {
                wire[0] = (byte) (x.sent().getHeader().getID() >> 8);
                wire[1] = (byte) x.sent().getHeader().getID();
            }
            Message reply;
            try {
                reply = new Message(wire);
            } catch (WireParseException e) {
                x.answer().completeExceptionally(e); // as dnsjava's resolver fails the exchange
                continue;
            }
            if (answers(x.sent(), reply)) {
                accepted[guestIndex] = reply;
            }
            x.answer().complete(reply);
        }
        while (!pending.isEmpty()) { // the rest time out (failing over to the other upstream, which times out too)
            pending.remove(0).answer().completeExceptionally(new SocketTimeoutException("fuzz: timed out"));
        }

        Map<String, List<Message>> usableForCache = new HashMap<>();
        for (int i = 0; i < queries; i++) {
            CompletableFuture<byte[]> f = replies.get(i);
            if (!f.isDone()) {
                throw new IllegalStateException("query " + i + " got no reply after every upstream answered or failed");
            }
            byte[] out = f.join();
            checkReply(guest[i], out, limit[i], accepted[i]);
            if (accepted[i] != null && !accepted[i].getHeader().getFlag(Flags.TC)) {
                usableForCache.computeIfAbsent(key(guest[i].getQuestion()), k -> new ArrayList<>()).add(accepted[i]);
            }
        }
        // later queries for the same questions: from the cache only what an accepted, untruncated reply said
        now[0] += 1000;
        for (int i = 0; i < queries; i++) {
            Message again = Message.newQuery(guest[i].getQuestion());
            again.getHeader().setID(0x2000 + i);
            DnsResolver.Result r = resolver.handle(again.toWire(), udpLimit);
            if (r instanceof DnsResolver.Reply cached) {
                List<Message> sources = usableForCache.get(key(again.getQuestion()));
                if (sources == null) {
                    throw new IllegalStateException("answered " + again.getQuestion() + " from the cache though no"
                            + " untruncated upstream reply to it was accepted");
                }
                checkReply(again, cached.wire(), udpLimit == 0 ? 65535 : 512, null, sources); // no EDNS: 512 over UDP
            } else if (r instanceof DnsResolver.Forward) {
                // not cached (TTL 0, nothing to cache, or never accepted): asked again
            } else {
                throw new IllegalStateException("a repeated query was dropped: " + r);
            }
        }
    }

    /** The oracle's match (RFC 1035 4.1.1, RFC 5452 9.1), written apart from the engine's. */
    private static boolean answers(Message sent, Message reply) {
        int rc = reply.getRcode();
        Record q = sent.getQuestion();
        List<Record> rq = reply.getSection(Section.QUESTION);
        return reply.getHeader().getID() == sent.getHeader().getID() && reply.getHeader().getFlag(Flags.QR)
                && reply.getHeader().getOpcode() == Opcode.QUERY && rq.size() == 1
                && rq.get(0).getName().equals(q.getName()) && rq.get(0).getType() == q.getType()
                && rq.get(0).getDClass() == q.getDClass() && rc != Rcode.SERVFAIL && rc != Rcode.REFUSED
                && rc != Rcode.NOTIMP && rc != Rcode.FORMERR;
    }

    private static void checkReply(Message query, byte[] out, int limit, Message accepted) throws Exception {
        checkReply(query, out, limit, accepted, accepted == null ? List.of() : List.of(accepted));
    }

    /** The reply to the guest: in its limit, its ID, QR, its question; records only from {@code sources}. */
    private static void checkReply(Message query, byte[] out, int limit, Message accepted, List<Message> sources)
            throws Exception {
        if (out == null || out.length > limit || out.length < 12) {
            throw new IllegalStateException("a reply of " + (out == null ? "null" : out.length + " bytes")
                    + " for a limit of " + limit);
        }
        Message m = new Message(out); // throws (a finding) if the engine sent the guest something unparsable
        if (m.getHeader().getID() != query.getHeader().getID() || !m.getHeader().getFlag(Flags.QR)) {
            throw new IllegalStateException("reply id " + m.getHeader().getID() + " QR " + m.getHeader().getFlag(
                    Flags.QR) + " to query " + query.getHeader().getID());
        }
        List<Record> question = m.getSection(Section.QUESTION);
        if (question.size() != 1 || !question.get(0).equals(query.getQuestion())) {
            throw new IllegalStateException("reply question " + question + " to " + query.getQuestion());
        }
        boolean anyRecord = false;
        for (int s : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
            for (Record rec : m.getSection(s)) {
                if (rec.getType() == Type.OPT) {
                    continue;
                }
                anyRecord = true;
                final int section = s;
                if (sources.stream().noneMatch(src -> src.getSection(section).contains(rec))) {
                    throw new IllegalStateException("record " + rec + " in section " + s + " came from no accepted"
                            + " reply to " + query.getQuestion());
                }
            }
        }
        if (sources.isEmpty()) {
            if (m.getRcode() != Rcode.SERVFAIL || anyRecord) {
                throw new IllegalStateException("no upstream reply matched, yet the guest got rcode "
                        + Rcode.string(m.getRcode()) + (anyRecord ? " with records" : ""));
            }
        } else if (accepted != null && m.getRcode() != (accepted.getRcode() & 0xf)) {
            throw new IllegalStateException("rcode " + m.getRcode() + " relayed for " + accepted.getRcode());
        }
    }

    private static String key(Record q) {
        return q.getName().toString().toLowerCase(java.util.Locale.ROOT) + "|" + q.getType() + "|" + q.getDClass();
    }

    /** The engine's log, ignored (a method any log interface's single method can refer to). */
    private static void ignore(Object... any) {
    }
}
