package org.qemu.helpers.slirpdhcp.dbus;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;
import java.util.function.Function;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.types.UInt16;
import org.freedesktop.dbus.types.UInt64;
import org.qemu.SlirpDhcp1.Error;
import org.qemu.helpers.common.bus.DBusErrors;
import org.qemu.helpers.common.bus.PropertyTable;
import org.qemu.helpers.common.bus.Signals;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.common.log.EventRateLimit;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.slirpdhcp.engine.DhcpServer;
import org.qemu.helpers.slirpdhcp.engine.HostRecord;
import org.qemu.helpers.slirpdhcp.engine.Hostnames;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.Lease;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.StateChange;
import org.qemu.helpers.slirpdhcp.engine.StaticLease;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.nat.Forward;
import org.qemu.helpers.slirpdhcp.engine.nat.NatEngine;
import org.qemu.helpers.slirpdhcp.store.DurableDhcp;
import org.qemu.helpers.slirpdhcp.transport.Forwards;
import org.qemu.helpers.common.text.Untrusted;

/**
 * The exported {@code org.qemu.SlirpDhcp1}: validates arguments, runs the change durably, maps engine errors to
 * D-Bus errors in one place, and turns lease changes into LeaseAdded/LeaseRemoved signals.
 */
public final class SlirpDhcpService implements SlirpDhcp1 {
    private final DurableDhcp dhcp;
    private final Statistics stats;
    /** Lease signals carry what ListLeases shows: they go only to peers that may read it (helper and up). */
    private final Signals conn;
    private final HelperLog log;
    /**
     * The lease lines: a guest sends DHCP as fast as it likes (100 leases a second in load.sh 60 64 wrote 1.3 MB of
     * log a minute), so they are limited like audit lines; the lease journal and ListLeases keep the state.
     */
    private final EventLog leaseLog;
    private final NatEngine nat;
    private final Forwards forwards;

    public SlirpDhcpService(DurableDhcp dhcp, Statistics stats, Signals conn, HelperLog log) {
        this(dhcp, stats, conn, log, null, null);
    }

    /** With the NAT's flows and forwards; both null for an instance without NAT. */
    public SlirpDhcpService(DurableDhcp dhcp, Statistics stats, Signals conn, HelperLog log, NatEngine nat,
                            Forwards forwards) {
        this.nat = nat;
        this.forwards = forwards;
        this.dhcp = dhcp;
        this.stats = stats;
        this.conn = conn;
        this.log = log;
        this.leaseLog = EventRateLimit.forAudit().limit(log);
        dhcp.addListener(this::signal);
    }

    public PropertyTable properties() {
        return new PropertyTable(NAME).readOnly("Statistics", "a{st}", this::statistics);
    }

    private Map<String, UInt64> statistics() {
        Map<String, UInt64> out = new TreeMap<>();
        stats.snapshot().forEach((k, v) -> out.put(k, new UInt64(v)));
        return out;
    }

    @Override
    public List<LeaseEntry> ListLeases() {
        DhcpServer s = dhcp.server();
        List<LeaseEntry> out = new ArrayList<>();
        java.util.Set<Integer> staticIps = new java.util.HashSet<>();
        for (StaticLease st : s.statics()) {
            staticIps.add(st.ip());
            out.add(new LeaseEntry(st.mac().toString(), Ip4.format(st.ip()), st.hostname(), 0));
        }
        for (Lease l : s.leases()) {
            if (!staticIps.contains(l.ip())) {
                out.add(new LeaseEntry(l.mac().toString(), Ip4.format(l.ip()), l.hostname(), l.expiresAt()));
            }
        }
        return out;
    }

    @Override
    public void AddStaticLease(String mac, String ip, String hostname) {
        Mac m = mac(mac);
        int addr = ip(ip);
        String host = hostname.trim().toLowerCase(java.util.Locale.ROOT);
        if (!host.isEmpty() && !Hostnames.isValidLabel(host)) {
            throw DBusErrors.invalidArgs("hostname '" + Untrusted.printable(hostname, 80)
                    + "' is not a valid RFC 1123 label (a-z, 0-9, '-', 1-63 characters, no dots)");
        }
        run(s -> s.addStatic(new StaticLease(m, addr, host)));
        log.info("static-lease-added", "mac", m, "ip", Ip4.format(addr), "hostname", host);
    }

    @Override
    public void RemoveStaticLease(String mac) {
        Mac m = mac(mac);
        run(s -> s.removeStatic(m));
        log.info("static-lease-removed", "mac", m);
    }

    @Override
    public void AddHostRecord(String name, String address) {
        String n = name.trim();
        if (!n.isEmpty() && !n.contains(".") && !dhcp.server().zone().domain().isEmpty()) {
            n = n + "." + dhcp.server().zone().domain();
        }
        HostRecord r;
        try {
            r = new HostRecord(n, ip(address));
        } catch (IllegalArgumentException e) {
            throw DBusErrors.invalidArgs(e.getMessage());
        }
        run(s -> s.addHost(r));
        log.info("host-record-added", "name", r.name(), "ip", Ip4.format(r.ip()));
    }

    @Override
    public void RemoveHostRecord(String name) {
        String n = name.trim();
        if (!n.isEmpty() && !n.contains(".") && !dhcp.server().zone().domain().isEmpty()) {
            n = n + "." + dhcp.server().zone().domain();
        }
        String fn = n;
        try {
            Hostnames.normalizeName(fn);
        } catch (IllegalArgumentException e) {
            throw DBusErrors.invalidArgs(e.getMessage());
        }
        run(s -> s.removeHost(fn));
        log.info("host-record-removed", "name", fn);
    }

    @Override
    public List<HostEntry> ListHostRecords() {
        List<HostEntry> out = new ArrayList<>();
        for (HostRecord h : dhcp.server().hosts()) {
            out.add(new HostEntry(h.name(), Ip4.format(h.ip())));
        }
        return out;
    }

    @Override
    public UInt16 AddForward(String proto, String hostAddress, UInt16 hostPort, String guestAddress,
                             UInt16 guestPort) {
        Forwards fw = forwardsOrRefuse();
        Forward f;
        try {
            f = new Forward(proto, hostAddress.isEmpty() ? Ip4.parse("127.0.0.1") : Ip4.parse(hostAddress),
                    hostPort.intValue(), guestAddress.isEmpty() ? 0 : Ip4.parse(guestAddress), guestPort.intValue());
        } catch (IllegalArgumentException e) {
            throw DBusErrors.invalidArgs(e.getMessage());
        }
        if (f.guestAddr() != 0 && !dhcp.server().config().contains(f.guestAddr())) {
            throw DBusErrors.invalidArgs("guest address " + guestAddress + " is not in the VM network");
        }
        try {
            Forward bound = fw.add(f);
            return new UInt16(bound.hostPort());
        } catch (IllegalStateException e) {
            throw new Error.Conflict(e.getMessage());
        } catch (IOException e) {
            throw new Error.BindFailed(e.getMessage());
        }
    }

    @Override
    public void RemoveForward(String proto, String hostAddress, UInt16 hostPort) {
        Forwards fw = forwardsOrRefuse();
        Forward f;
        try {
            f = new Forward(proto, hostAddress.isEmpty() ? Ip4.parse("127.0.0.1") : Ip4.parse(hostAddress),
                    hostPort.intValue(), 0, 1);
        } catch (IllegalArgumentException e) {
            throw DBusErrors.invalidArgs(e.getMessage());
        }
        if (!fw.remove(f)) {
            throw new Error.NotFound("no " + f.proto() + " forward from " + hostAddress + ":" + hostPort);
        }
    }

    @Override
    public List<ForwardEntry> ListForwards() {
        List<ForwardEntry> out = new ArrayList<>();
        for (Forward f : forwardsOrRefuse().list()) {
            out.add(new ForwardEntry(f.proto(), Ip4.format(f.hostAddr()), new UInt16(f.hostPort()),
                    f.guestAddr() == 0 ? "" : Ip4.format(f.guestAddr()), new UInt16(f.guestPort())));
        }
        return out;
    }

    @Override
    public List<FlowEntry> ListFlows() {
        if (nat == null) {
            throw new Error.NotSupported("this instance has no user-mode NAT");
        }
        List<FlowEntry> out = new ArrayList<>();
        for (NatEngine.FlowInfo f : nat.flows()) {
            out.add(new FlowEntry(f.proto(), f.state(), f.guest(), f.remote(), f.host(), new UInt64(f.buffered())));
        }
        return out;
    }

    private Forwards forwardsOrRefuse() {
        if (forwards == null) {
            throw new Error.NotSupported("this instance has no user-mode NAT (no frame front end, or --no-nat)");
        }
        return forwards;
    }

    @Override
    public boolean isRemote() {
        return false;
    }

    @Override
    public String getObjectPath() {
        return PATH;
    }

    private static Mac mac(String s) {
        try {
            Mac m = Mac.parse(s);
            if (m.isMulticast() || m.bits() == 0) {
                throw DBusErrors.invalidArgs("MAC " + m + " is not a unicast address");
            }
            return m;
        } catch (IllegalArgumentException e) {
            throw DBusErrors.invalidArgs(e.getMessage());
        }
    }

    private static int ip(String s) {
        try {
            return Ip4.parse(s);
        } catch (IllegalArgumentException e) {
            throw DBusErrors.invalidArgs(e.getMessage());
        }
    }

    private void run(Function<DhcpServer, List<StateChange>> op) {
        try {
            dhcp.admin(op);
        } catch (IllegalArgumentException e) {
            throw DBusErrors.invalidArgs(e.getMessage());
        } catch (IllegalStateException e) {
            throw new Error.Conflict(e.getMessage());
        } catch (NoSuchElementException e) {
            throw new Error.NotFound(e.getMessage());
        } catch (IOException e) {
            log.error("journal-failed", "error", e.getMessage());
            throw new Error.IO("the lease store could not be written: " + e.getMessage());
        }
    }

    private void signal(StateChange c) {
        try {
            if (c instanceof StateChange.LeaseBound b && b.fresh()) {
                Lease l = b.lease();
                conn.sendMessage(new LeaseAdded(PATH, l.mac().toString(), Ip4.format(l.ip()), l.hostname()));
                leaseLog.info("lease-added", "mac", l.mac(), "ip", Ip4.format(l.ip()), "hostname", l.hostname());
            } else if (c instanceof StateChange.LeaseEnded e) {
                Lease l = e.lease();
                conn.sendMessage(new LeaseRemoved(PATH, l.mac().toString(), Ip4.format(l.ip())));
                leaseLog.info("lease-removed", "mac", l.mac(), "ip", Ip4.format(l.ip()), "reason", e.reason());
            } else if (c instanceof StateChange.StaticAdded a) {
                StaticLease s = a.lease();
                conn.sendMessage(new LeaseAdded(PATH, s.mac().toString(), Ip4.format(s.ip()), s.hostname()));
            } else if (c instanceof StateChange.StaticRemoved r) {
                StaticLease s = r.lease();
                conn.sendMessage(new LeaseRemoved(PATH, s.mac().toString(), Ip4.format(s.ip())));
            }
        } catch (DBusException e) {
            log.warn("signal-failed", "error", e.getMessage());
        }
    }
}
