package org.qemu.helpers.slirpdhcp.store;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.qemu.helpers.slirpdhcp.engine.HostRecord;
import org.qemu.helpers.slirpdhcp.engine.Lease;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.MalformedException;
import org.qemu.helpers.slirpdhcp.engine.NetState;
import org.qemu.helpers.slirpdhcp.engine.StateChange;
import org.qemu.helpers.slirpdhcp.engine.StaticLease;
import org.qemu.helpers.slirpdhcp.engine.WireReader;

/**
 * Binary encoding of the durable state and of single changes, shared by the snapshot file, the journal and the
 * VMState payload. Decoding validates everything (lengths bounded, names and addresses checked) and throws
 * {@link MalformedException} without side effects.
 */
public final class StateCodec {
    public static final int MAX_ENTRIES = 1 << 20;
    public static final int MAX_STRING = 600;

    static final int LEASE_BOUND = 1;
    static final int LEASE_ENDED = 2;
    static final int STATIC_ADD = 3;
    static final int STATIC_DEL = 4;
    static final int HOST_ADD = 5;
    static final int HOST_DEL = 6;

    private StateCodec() {
    }

    public static final class Out {
        final ByteArrayOutputStream b = new ByteArrayOutputStream(64);

        void u8(int v) {
            b.write(v);
        }

        void u32(int v) {
            b.write(v >>> 24);
            b.write(v >>> 16);
            b.write(v >>> 8);
            b.write(v);
        }

        void u64(long v) {
            u32((int) (v >>> 32));
            u32((int) v);
        }

        void str(String s) {
            byte[] d = s.getBytes(StandardCharsets.UTF_8);
            u32(d.length);
            b.writeBytes(d);
        }

        byte[] bytes() {
            return b.toByteArray();
        }
    }

    static long u64(WireReader r, String what) throws MalformedException {
        long hi = Integer.toUnsignedLong(r.u32(what));
        return (hi << 32) | Integer.toUnsignedLong(r.u32(what));
    }

    static String str(WireReader r, String what) throws MalformedException {
        int n = r.u32(what + " length");
        if (n < 0 || n > MAX_STRING) {
            throw new MalformedException(what + " of " + n + " bytes");
        }
        return new String(r.bytes(n, what), StandardCharsets.UTF_8);
    }

    static Mac mac(WireReader r) throws MalformedException {
        long v = u64(r, "mac");
        if ((v & ~0xffff_ffff_ffffL) != 0) {
            throw new MalformedException("MAC wider than 48 bits");
        }
        return new Mac(v);
    }

    static void lease(Out o, Lease l) {
        o.str(l.clientKey());
        o.u64(l.mac().bits());
        o.u32(l.ip());
        o.str(l.hostname());
        o.u64(l.expiresAt());
    }

    static Lease lease(WireReader r) throws MalformedException {
        String key = str(r, "client key");
        Mac mac = mac(r);
        int ip = r.u32("ip");
        String host = str(r, "hostname");
        long exp = u64(r, "expiry");
        try {
            return new Lease(key, mac, ip, host, exp);
        } catch (IllegalArgumentException e) {
            throw new MalformedException("lease: " + e.getMessage());
        }
    }

    static void staticLease(Out o, StaticLease s) {
        o.u64(s.mac().bits());
        o.u32(s.ip());
        o.str(s.hostname());
    }

    static StaticLease staticLease(WireReader r) throws MalformedException {
        Mac mac = mac(r);
        int ip = r.u32("ip");
        String host = str(r, "hostname");
        try {
            return new StaticLease(mac, ip, host);
        } catch (IllegalArgumentException e) {
            throw new MalformedException("static lease: " + e.getMessage());
        }
    }

    static void host(Out o, HostRecord h) {
        o.str(h.name());
        o.u32(h.ip());
    }

    static HostRecord host(WireReader r) throws MalformedException {
        String name = str(r, "host name");
        int ip = r.u32("ip");
        try {
            return new HostRecord(name, ip);
        } catch (IllegalArgumentException e) {
            throw new MalformedException("host record: " + e.getMessage());
        }
    }

    public static byte[] encodeState(NetState s) {
        Out o = new Out();
        o.u32(s.leases().size());
        s.leases().forEach(l -> lease(o, l));
        o.u32(s.statics().size());
        s.statics().forEach(l -> staticLease(o, l));
        o.u32(s.hosts().size());
        s.hosts().forEach(h -> host(o, h));
        return o.bytes();
    }

    public static NetState decodeState(byte[] data) throws MalformedException {
        WireReader r = new WireReader(data);
        NetState s = decodeState(r);
        if (r.remaining() != 0) {
            throw new MalformedException(r.remaining() + " trailing bytes after the state");
        }
        return s;
    }

    static NetState decodeState(WireReader r) throws MalformedException {
        List<Lease> leases = new ArrayList<>();
        int n = count(r, "lease count");
        for (int i = 0; i < n; i++) {
            leases.add(lease(r));
        }
        List<StaticLease> statics = new ArrayList<>();
        n = count(r, "static lease count");
        for (int i = 0; i < n; i++) {
            statics.add(staticLease(r));
        }
        List<HostRecord> hosts = new ArrayList<>();
        n = count(r, "host record count");
        for (int i = 0; i < n; i++) {
            hosts.add(host(r));
        }
        return new NetState(leases, statics, hosts);
    }

    private static int count(WireReader r, String what) throws MalformedException {
        int n = r.u32(what);
        // every entry takes at least 12 bytes: bound the count by what is left before allocating anything
        if (n < 0 || n > MAX_ENTRIES || (long) n * 12 > r.remaining()) {
            throw new MalformedException(what + " " + Integer.toUnsignedString(n) + " exceeds the data");
        }
        return n;
    }

    public static byte[] encodeChange(StateChange c) {
        Out o = new Out();
        if (c instanceof StateChange.LeaseBound b) {
            o.u8(LEASE_BOUND);
            lease(o, b.lease());
        } else if (c instanceof StateChange.LeaseEnded e) {
            o.u8(LEASE_ENDED);
            lease(o, e.lease());
        } else if (c instanceof StateChange.StaticAdded a) {
            o.u8(STATIC_ADD);
            staticLease(o, a.lease());
        } else if (c instanceof StateChange.StaticRemoved d) {
            o.u8(STATIC_DEL);
            staticLease(o, d.lease());
        } else if (c instanceof StateChange.HostAdded h) {
            o.u8(HOST_ADD);
            host(o, h.record());
        } else if (c instanceof StateChange.HostRemoved h) {
            o.u8(HOST_DEL);
            host(o, h.record());
        }
        return o.bytes();
    }

    public static StateChange decodeChange(byte[] data) throws MalformedException {
        WireReader r = new WireReader(data);
        int type = r.u8("change type");
        StateChange c = switch (type) {
            case LEASE_BOUND -> new StateChange.LeaseBound(lease(r), false);
            case LEASE_ENDED -> new StateChange.LeaseEnded(lease(r), "journal");
            case STATIC_ADD -> new StateChange.StaticAdded(staticLease(r));
            case STATIC_DEL -> new StateChange.StaticRemoved(staticLease(r));
            case HOST_ADD -> new StateChange.HostAdded(host(r));
            case HOST_DEL -> new StateChange.HostRemoved(host(r));
            default -> throw new MalformedException("unknown change type " + type);
        };
        if (r.remaining() != 0) {
            throw new MalformedException("trailing bytes in change");
        }
        return c;
    }

    /** Applies a change to a mutable state image (journal replay). */
    static void apply(StateImage img, StateChange c) {
        if (c instanceof StateChange.LeaseBound b) {
            img.leases.put(b.lease().clientKey(), b.lease());
        } else if (c instanceof StateChange.LeaseEnded e) {
            Lease cur = img.leases.get(e.lease().clientKey());
            if (cur != null && cur.ip() == e.lease().ip()) {
                img.leases.remove(e.lease().clientKey());
            }
        } else if (c instanceof StateChange.StaticAdded a) {
            img.statics.put(a.lease().mac(), a.lease());
        } else if (c instanceof StateChange.StaticRemoved d) {
            img.statics.remove(d.lease().mac());
        } else if (c instanceof StateChange.HostAdded h) {
            img.hosts.put(h.record().name(), h.record());
        } else if (c instanceof StateChange.HostRemoved h) {
            img.hosts.remove(h.record().name());
        }
    }

    /** A mutable image of the state used while replaying. */
    static final class StateImage {
        final java.util.LinkedHashMap<String, Lease> leases = new java.util.LinkedHashMap<>();
        final java.util.LinkedHashMap<Mac, StaticLease> statics = new java.util.LinkedHashMap<>();
        final java.util.LinkedHashMap<String, HostRecord> hosts = new java.util.LinkedHashMap<>();

        StateImage(NetState s) {
            s.leases().forEach(l -> leases.put(l.clientKey(), l));
            s.statics().forEach(l -> statics.put(l.mac(), l));
            s.hosts().forEach(h -> hosts.put(h.name(), h));
        }

        NetState toState() {
            return new NetState(new ArrayList<>(leases.values()), new ArrayList<>(statics.values()),
                    new ArrayList<>(hosts.values()));
        }
    }
}
