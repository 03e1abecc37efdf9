package org.qemu.helpers.slirpdhcp.engine;

import java.net.InetAddress;
import java.util.List;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import org.qemu.helpers.common.log.EventLog;

/** The resolver of {@link DnsMixBench}, with an in-process upstream that answers every A and AAAA (TTL 1 h);
 * {@code -Dslirp.dns.memo=off} turns the local-answer memo off. */
final class DnsBenchSupport {
    private DnsBenchSupport() {
    }

    static DnsResolver resolver(NetworkConfig cfg, LocalZone zone, Statistics stats) {
        DnsForwarder.Upstream up = new DnsForwarder.Upstream() {
            public String name() {
                return "in-process";
            }

            public java.util.concurrent.CompletionStage<Message> exchange(Message q) {
                Message r = new Message(q.getHeader().getID());
                r.getHeader().setFlag(Flags.QR);
                r.addRecord(q.getQuestion(), Section.QUESTION);
                try {
                    if (q.getQuestion().getType() == Type.A) {
                        r.addRecord(new ARecord(q.getQuestion().getName(), DClass.IN, 3600,
                                InetAddress.getByName("192.0.2.1")), Section.ANSWER);
                    } else {
                        r.addRecord(new AAAARecord(q.getQuestion().getName(), DClass.IN, 3600,
                                InetAddress.getByName("2001:db8::1")), Section.ANSWER);
                    }
                } catch (java.net.UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
                return java.util.concurrent.CompletableFuture.completedFuture(r);
            }
        };
        boolean memo = !"off".equals(System.getProperty("slirp.dns.memo"));
        return new DnsResolver(cfg, zone, List.of(up), stats, System::currentTimeMillis, EventLog.NONE, memo);
    }

    static byte[] complete(DnsResolver r, byte[] query) {
        return r.resolve(query, 1472).toCompletableFuture().join();
    }
}
