package org.qemu.helpers.slirpdhcp.engine;

import java.util.Map;

/** Decodes and encodes DHCP messages (RFC 2131 2, RFC 2132 2-3, option overload RFC 2132 9.3). */
public final class DhcpCodec {
    public static final int MAGIC = 0x63825363;
    public static final int FIXED_LEN = 236;
    /** RFC 2131 2: every client must accept 576-byte IP datagrams, i.e. 548 bytes of DHCP. */
    public static final int MIN_MAX_SIZE = 576 - 28;
    /** BOOTP relays and old clients expect at least 300 bytes (RFC 1542 2.1). */
    public static final int MIN_REPLY = 300;
    public static final int MAX_MESSAGE = 1472;

    private DhcpCodec() {
    }

    /** Parses a client or server message; fails on anything truncated, non-Ethernet, or without the magic cookie. */
    public static DhcpMessage decode(byte[] data) throws MalformedException {
        if (data.length > 65535) {
            throw new MalformedException("DHCP message longer than 65535 bytes");
        }
        WireReader r = new WireReader(data);
        int op = r.u8("op");
        if (op != DhcpMessage.BOOTREQUEST && op != DhcpMessage.BOOTREPLY) {
            throw new MalformedException("bad op " + op);
        }
        int htype = r.u8("htype");
        int hlen = r.u8("hlen");
        if (htype != 1 || hlen != 6) {
            throw new MalformedException("unsupported hardware type " + htype + "/" + hlen + " (Ethernet only)");
        }
        int hops = r.u8("hops");
        int xid = r.u32("xid");
        int secs = r.u16("secs");
        int flags = r.u16("flags");
        int ciaddr = r.u32("ciaddr");
        int yiaddr = r.u32("yiaddr");
        int siaddr = r.u32("siaddr");
        int giaddr = r.u32("giaddr");
        byte[] chaddr = r.bytes(16, "chaddr");
        WireReader sname = r.slice(64, "sname");
        WireReader file = r.slice(128, "file");
        if (r.u32("magic cookie") != MAGIC) {
            throw new MalformedException("bad magic cookie");
        }
        DhcpOptions opts = new DhcpOptions();
        parseOptions(r, opts, true);
        byte[] overload = opts.asMap().get(DhcpOption.OVERLOAD);
        if (overload != null) {
            if (overload.length != 1 || overload[0] < 1 || overload[0] > 3) {
                throw new MalformedException("bad option overload value");
            }
            // RFC 2132 9.3: file is parsed first, then sname.
            if ((overload[0] & 1) != 0) {
                parseOptions(file, opts, false);
            }
            if ((overload[0] & 2) != 0) {
                parseOptions(sname, opts, false);
            }
        }
        byte[] mac = new byte[6];
        System.arraycopy(chaddr, 0, mac, 0, 6);
        return new DhcpMessage(op, htype, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, mac, opts);
    }

    private static void parseOptions(WireReader r, DhcpOptions opts, boolean needEnd) throws MalformedException {
        int count = 0;
        while (r.remaining() > 0) {
            int code = r.u8("option code");
            if (code == DhcpOption.PAD) {
                continue;
            }
            if (code == DhcpOption.END) {
                return;
            }
            if (++count > 255) {
                throw new MalformedException("more than 255 options");
            }
            int len = r.u8("option " + code + " length");
            opts.append(code, r.bytes(len, "option " + code + " value"));
        }
        if (needEnd) {
            // Many clients omit END when the packet ends exactly; tolerate it, as dnsmasq does.
            return;
        }
    }

    /**
     * Encodes a message of at most {@code maxSize} bytes. Options are written in map order; an option that would
     * not fit is left out, so callers put the ones that must be sent first. Values over 255 bytes are split
     * (RFC 3396).
     */
    public static byte[] encode(DhcpMessage m, int maxSize) {
        int limit = Math.max(MIN_MAX_SIZE, Math.min(maxSize, MAX_MESSAGE));
        byte[] out = new byte[limit];
        int p = 0;
        out[p++] = (byte) m.op();
        out[p++] = (byte) m.htype();
        out[p++] = (byte) 6;
        out[p++] = (byte) m.hops();
        p = put32(out, p, m.xid());
        out[p++] = (byte) (m.secs() >>> 8);
        out[p++] = (byte) m.secs();
        out[p++] = (byte) (m.flags() >>> 8);
        out[p++] = (byte) m.flags();
        p = put32(out, p, m.ciaddr());
        p = put32(out, p, m.yiaddr());
        p = put32(out, p, m.siaddr());
        p = put32(out, p, m.giaddr());
        System.arraycopy(m.chaddr(), 0, out, p, Math.min(16, m.chaddr().length));
        p += 16 + 64 + 128;
        p = put32(out, p, MAGIC);
        for (Map.Entry<Integer, byte[]> e : m.options().asMap().entrySet()) {
            byte[] v = e.getValue();
            int chunks = Math.max(1, (v.length + 254) / 255);
            int need = v.length + 2 * chunks;
            if (p + need + 1 > limit) {
                continue;
            }
            int off = 0;
            do {
                int n = Math.min(255, v.length - off);
                out[p++] = (byte) (int) e.getKey();
                out[p++] = (byte) n;
                System.arraycopy(v, off, out, p, n);
                p += n;
                off += n;
            } while (off < v.length);
        }
        out[p++] = (byte) DhcpOption.END;
        int len = Math.max(p, Math.min(MIN_REPLY, limit));
        byte[] res = new byte[len];
        System.arraycopy(out, 0, res, 0, p);
        return res;
    }

    private static int put32(byte[] b, int p, int v) {
        b[p] = (byte) (v >>> 24);
        b[p + 1] = (byte) (v >>> 16);
        b[p + 2] = (byte) (v >>> 8);
        b[p + 3] = (byte) v;
        return p + 4;
    }

    /** RFC 3397 3 / RFC 1035 3.1: a domain search list as uncompressed wire names. */
    public static byte[] encodeSearchList(java.util.List<String> domains) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (String d : domains) {
            for (String label : d.split("\\.")) {
                byte[] b = label.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                out.write(b.length);
                out.writeBytes(b);
            }
            out.write(0);
        }
        return out.toByteArray();
    }
}
