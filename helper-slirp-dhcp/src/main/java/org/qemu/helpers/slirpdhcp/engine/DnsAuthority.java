package org.qemu.helpers.slirpdhcp.engine;

import java.util.Locale;
import java.util.Optional;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The zones the helper is authoritative for (RFC 1035 6): A records of the VM domain and host records, PTR
 * records of the network's reverse zone, NXDOMAIN and NODATA with our SOA (RFC 2308) for what is not there.
 */
final class DnsAuthority {
    /** Local answers are short-lived: leases come and go. */
    static final long LOCAL_TTL = 60;

    private final NetworkConfig cfg;
    private final LocalZone zone;
    private final Statistics stats;
    private final Name domainName;
    private final Name reverseZone;

    DnsAuthority(NetworkConfig cfg, LocalZone zone, Statistics stats) {
        this.cfg = cfg;
        this.zone = zone;
        this.stats = stats;
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

    /** The zone's answer to {@code q}, or empty when the name is not ours (then it is forwarded). */
    Optional<Message> answer(Message q) {
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
            Message r = DnsReplies.base(q, true);
            r.getHeader().setRcode(Rcode.REFUSED);
            return Optional.of(r);
        }
        Optional<Integer> revIp = inReverse && !hostRecord ? reverseIp(name) : Optional.empty();
        if (revIp.isPresent() && !cfg.contains(revIp.get())) {
            return Optional.empty(); // the reverse zone is octet-aligned and may be wider than the network
        }
        Message r = DnsReplies.base(q, true);
        if (inReverse && !hostRecord) {
            if (revIp.isEmpty() && name.split("\\.").length < 6) {
                return Optional.of(negative(r, reverseZone, Rcode.NOERROR)); // an empty non-terminal of the zone
            }
            Optional<String> target = revIp.flatMap(zone::reverse);
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
    private static Message negative(Message r, Name apex, int rcode) {
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

    static String lower(Name n) {
        return n.toString(true).toLowerCase(Locale.ROOT);
    }

    private static Name absolute(String fqdn) {
        try {
            return Name.fromString(fqdn + ".");
        } catch (TextParseException e) {
            throw new IllegalStateException(e);
        }
    }
}
