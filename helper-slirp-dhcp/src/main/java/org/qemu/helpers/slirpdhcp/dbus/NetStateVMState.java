package org.qemu.helpers.slirpdhcp.dbus;

import java.io.IOException;
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
import org.qemu.helpers.slirpdhcp.store.DurableDhcp;
import org.qemu.helpers.slirpdhcp.store.StateCodec;

/**
 * VMState1 payload (Id {@code slirp-dhcp}, version 1): leases, static leases and host records, in the store's
 * encoding. Load validates every entry against this helper's network before anything changes; the migrated
 * guest then keeps its address and its names.
 */
public final class NetStateVMState implements VMStateCodec<NetState> {
    public static final int VERSION = 1;

    private final DurableDhcp dhcp;
    private final NetworkConfig cfg;
    private final HelperLog log;

    public NetStateVMState(DurableDhcp dhcp, NetworkConfig cfg, HelperLog log) {
        this.dhcp = dhcp;
        this.cfg = cfg;
        this.log = log;
    }

    @Override
    public int payloadVersion() {
        return VERSION;
    }

    @Override
    public byte[] save() {
        NetState s = dhcp.snapshot();
        log.info("vmstate-save", "leases", s.leases().size(), "statics", s.statics().size(), "hosts",
                s.hosts().size());
        return StateCodec.encodeState(s);
    }

    @Override
    public NetState decode(byte[] payload, int payloadVersion) throws InvalidStateException {
        if (payloadVersion != VERSION) {
            throw new InvalidStateException("slirp-dhcp state version " + payloadVersion + " is not supported (want "
                    + VERSION + ")");
        }
        NetState s;
        try {
            s = StateCodec.decodeState(payload);
        } catch (MalformedException e) {
            throw new InvalidStateException("slirp-dhcp state is malformed: " + e.getMessage());
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
        return s;
    }

    @Override
    public void apply(NetState decoded) {
        try {
            dhcp.replace(decoded);
        } catch (IOException e) {
            // the state is in effect in memory; only its durability failed
            log.error("vmstate-load-not-durable", "error", e.getMessage());
        }
        log.info("vmstate-load", "leases", decoded.leases().size(), "statics", decoded.statics().size(), "hosts",
                decoded.hosts().size());
    }
}
