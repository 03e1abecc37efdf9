package org.qemu.helpers.slirpdhcp.dbus;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.HashSet;
import java.util.Set;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.common.vmstate.InvalidStateException;
import org.qemu.helpers.common.vmstate.VMStateCodec;
import org.qemu.helpers.slirpdhcp.engine.HostRecord;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.Lease;
import org.qemu.helpers.slirpdhcp.engine.MalformedException;
import org.qemu.helpers.slirpdhcp.engine.NetState;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.StaticLease;
import org.qemu.helpers.slirpdhcp.engine.WireReader;
import org.qemu.helpers.slirpdhcp.engine.nat.Forward;
import org.qemu.helpers.slirpdhcp.engine.nat.NatEngine;
import org.qemu.helpers.slirpdhcp.store.DurableDhcp;
import org.qemu.helpers.slirpdhcp.transport.Forwards;
import org.qemu.helpers.slirpdhcp.store.StateCodec;

/**
 * VMState1 payload (Id {@code slirp-dhcp}): version 2 is the state length (u32), leases, static leases and host
 * records in the store's encoding, then the forwards (u32 count; per forward u8 protocol 6/17, host address,
 * host port, guest address, guest port as u32). Version 1 (no forwards) still loads. Load validates every entry
 * against this helper's network before anything changes; the migrated guest then keeps its address, its names
 * and its forwards. Live TCP flows do not migrate: Load drops them, and the guest's next segment of one gets RST.
 */
public final class NetStateVMState implements VMStateCodec<NetStateVMState.Saved> {
    public static final int VERSION = 2;

    /** What a migration carries. */
    public record Saved(NetState state, List<Forward> forwards) {
    }

    private final DurableDhcp dhcp;
    private final NetworkConfig cfg;
    private final HelperLog log;
    private final NatEngine nat;
    private final Forwards forwards;

    public NetStateVMState(DurableDhcp dhcp, NetworkConfig cfg, HelperLog log) {
        this(dhcp, cfg, log, null, null);
    }

    /** With the NAT whose flows a Load drops and the forwards it replaces; both null without NAT. */
    public NetStateVMState(DurableDhcp dhcp, NetworkConfig cfg, HelperLog log, NatEngine nat, Forwards forwards) {
        this.dhcp = dhcp;
        this.cfg = cfg;
        this.log = log;
        this.nat = nat;
        this.forwards = forwards;
    }

    @Override
    public int payloadVersion() {
        return VERSION;
    }

    @Override
    public int oldestPayloadVersion() {
        return 1; // version 1 (before forwards) is still read
    }

    @Override
    public byte[] save() {
        NetState s = dhcp.snapshot();
        log.info("vmstate-save", "leases", s.leases().size(), "statics", s.statics().size(), "hosts",
                s.hosts().size());
        byte[] state = StateCodec.encodeState(s);
        List<Forward> fw = forwards == null ? List.of() : forwards.list();
        ByteBuffer b = ByteBuffer.allocate(8 + state.length + 17 * fw.size());
        b.putInt(state.length).put(state).putInt(fw.size());
        for (Forward f : fw) {
            b.put((byte) (f.proto().equals("tcp") ? 6 : 17)).putInt(f.hostAddr()).putInt(f.hostPort())
                    .putInt(f.guestAddr()).putInt(f.guestPort());
        }
        return b.array();
    }

    @Override
    public Saved decode(byte[] payload, int payloadVersion) throws InvalidStateException {
        if (payloadVersion != 1 && payloadVersion != VERSION) {
            throw new InvalidStateException("slirp-dhcp state version " + payloadVersion + " is not supported (want 1"
                    + " or " + VERSION + ")");
        }
        NetState s;
        List<Forward> fw = new ArrayList<>();
        try {
            if (payloadVersion == 1) {
                s = StateCodec.decodeState(payload);
            } else {
                WireReader r = new WireReader(payload);
                int n = r.u32("state length");
                if (n < 0 || n > r.remaining()) {
                    throw new MalformedException("state length " + n);
                }
                s = StateCodec.decodeState(r.bytes(n, "state"));
                int count = r.u32("forward count");
                if (count < 0 || count > Forwards.MAX) {
                    throw new MalformedException(count + " forwards (at most " + Forwards.MAX + ")");
                }
                for (int i = 0; i < count; i++) {
                    int proto = r.u8("forward protocol");
                    if (proto != 6 && proto != 17) {
                        throw new MalformedException("forward protocol " + proto);
                    }
                    try {
                        fw.add(new Forward(proto == 6 ? "tcp" : "udp", r.u32("host address"), r.u32("host port"),
                                r.u32("guest address"), r.u32("guest port")));
                    } catch (IllegalArgumentException e) {
                        throw new MalformedException("forward " + i + ": " + e.getMessage());
                    }
                }
                if (r.remaining() != 0) {
                    throw new MalformedException(r.remaining() + " bytes after the forwards");
                }
            }
        } catch (MalformedException e) {
            throw new InvalidStateException("slirp-dhcp state is malformed: " + e.getMessage());
        }
        for (Forward f : fw) {
            if (f.guestAddr() != 0 && !cfg.contains(f.guestAddr())) {
                throw new InvalidStateException("forward " + f + " goes to an address outside the network");
            }
        }
        Set<Integer> ips = new HashSet<>();
        Set<String> keys = new HashSet<>();
        for (Lease l : s.leases()) {
            if (!cfg.contains(l.ip()) || !ips.add(l.ip()) || !keys.add(l.clientKey())) {
                throw new InvalidStateException("lease " + Ip4.format(l.ip()) + " is outside " + Ip4.format(cfg.network())
                        + "/" + cfg.prefix() + " or duplicated");
            }
        }
        Set<Integer> staticIps = new HashSet<>();
        for (StaticLease st : s.statics()) {
            if (!cfg.isAssignable(st.ip()) || !staticIps.add(st.ip())) {
                throw new InvalidStateException("static lease " + Ip4.format(st.ip()) + " is not assignable here"
                        + " or duplicated");
            }
        }
        Set<String> names = new HashSet<>();
        for (HostRecord h : s.hosts()) {
            if (!names.add(h.name())) {
                throw new InvalidStateException("host record " + h.name() + " duplicated");
            }
        }
        return new Saved(s, fw);
    }

    @Override
    public void apply(Saved saved) {
        NetState decoded = saved.state();
        if (nat != null) {
            nat.resetAll();
            forwards.replace(saved.forwards());
        }
        try {
            dhcp.replace(decoded);
        } catch (IOException e) {
            // the state is in effect in memory; only its durability failed
            log.error("vmstate-load-not-durable", "error", e.getMessage());
        }
        log.info("vmstate-load", "leases", decoded.leases().size(), "statics", decoded.statics().size(), "hosts",
                decoded.hosts().size(), "forwards", saved.forwards().size());
    }
}
