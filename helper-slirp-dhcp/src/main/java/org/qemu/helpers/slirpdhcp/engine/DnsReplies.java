package org.qemu.helpers.slirpdhcp.engine;

import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** How every DNS reply of the helper is shaped: header flags, the question echoed, our OPT, the size limit. */
final class DnsReplies {
    /** RFC 6891 6.2.5: the payload size we advertise and accept at most over UDP. */
    static final int EDNS_PAYLOAD = 1232;

    private DnsReplies() {
    }

    /** A reply to {@code q} with its ID, opcode, RD and question; RA always (we recurse), AA when authoritative. */
    static Message base(Message q, boolean authoritative) {
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

    /** A reply with only a response code (and our OPT if the client sent one, RFC 6891 7). */
    static byte[] rcode(Message q, int rcode, int limit) {
        Message r = base(q, false);
        r.getHeader().setRcode(rcode);
        if (q.getOPT() != null) {
            r.addRecord(new OPTRecord(EDNS_PAYLOAD, 0, 0), Section.ADDITIONAL);
        }
        return r.toWire(limit);
    }

    /** Copies an answer into a reply to {@code q}: its ID and question, our OPT if the client sent one. */
    static byte[] finish(Message answer, Message q, int limit) {
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
        return r.toWire(limit);
    }

    /** Whether a reply's wire form has TC set (RFC 1035 4.1.1). */
    static boolean truncated(byte[] wire) {
        return wire.length >= 4 && (wire[2] & 0x02) != 0;
    }

    /** A bare header echoing the ID, for a query too broken to parse (RFC 1035 4.1.1: FORMERR). */
    static byte[] errorHeader(byte[] wire, int rcode) {
        byte[] h = new byte[12];
        h[0] = wire[0];
        h[1] = wire[1];
        h[2] = (byte) (0x80 | (wire[2] & 0x78) | (wire[2] & 0x01));
        h[3] = (byte) (0x80 | (rcode & 0xf));
        return h;
    }
}
