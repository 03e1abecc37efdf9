package org.qemu.helpers.slirpdhcp;

import org.freedesktop.dbus.utils.NameableThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.qemu.helpers.slirpdhcp.engine.DhcpEndpoint;
import org.qemu.helpers.slirpdhcp.engine.DhcpServer;
import org.qemu.helpers.slirpdhcp.engine.DnsForwarder;
import org.qemu.helpers.slirpdhcp.engine.DnsResolver;
import org.qemu.helpers.slirpdhcp.engine.LocalZone;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.Lease;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.StaticLease;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestLink;
import org.qemu.helpers.slirpdhcp.engine.nat.Forward;
import org.qemu.helpers.slirpdhcp.engine.nat.NatEngine;
import org.qemu.helpers.slirpdhcp.transport.EventLoop;
import org.qemu.helpers.slirpdhcp.transport.Forwards;
import org.qemu.helpers.slirpdhcp.transport.NatSockets;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestPort;
import org.qemu.helpers.slirpdhcp.store.DurableDhcp;
import org.qemu.helpers.slirpdhcp.store.LeaseStore;
import org.qemu.helpers.slirpdhcp.transport.FrameFrontEnd;
import org.qemu.helpers.slirpdhcp.transport.InheritedFd;
import org.qemu.helpers.slirpdhcp.transport.NetdevDgramServer;
import org.qemu.helpers.slirpdhcp.transport.NetdevStreamServer;
import org.qemu.helpers.slirpdhcp.transport.ResolverUpstream;
import org.qemu.helpers.slirpdhcp.transport.TapDevice;
import org.qemu.helpers.slirpdhcp.transport.TcpDnsServer;
import org.qemu.helpers.slirpdhcp.transport.UdpDhcpServer;
import org.qemu.helpers.slirpdhcp.transport.UdpDnsServer;
import org.qemu.helpers.common.log.EventLog;

/** Wires engine, store and transports for one set of {@link Settings}; closing stops every thread and socket. */
public final class SlirpCore implements AutoCloseable {
    private final Settings settings;
    private final Statistics stats = new Statistics();
    private final DurableDhcp dhcp;
    private final DnsResolver dns;
    private final LeaseStore store;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final ExecutorService forwarders;
    private final ExecutorService tcpPool;
    private final ScheduledExecutorService timer;
    private UdpDhcpServer udpDhcp;
    private UdpDnsServer udpDns;
    private TcpDnsServer tcpDns;
    private FrameFrontEnd guest;
    private final NatSettings natSettings;
    private final java.util.function.UnaryOperator<DhcpEndpoint> guestDhcp;
    private NatEngine nat;
    private Forwards forwards;

    private SlirpCore(Settings s, NatSettings n, java.util.function.UnaryOperator<DhcpEndpoint> guestDhcp,
                      EventLog log) throws IOException {
        this.settings = s;
        this.guestDhcp = guestDhcp;
        this.natSettings = n;
        LocalZone zone = new LocalZone(s.net().domain());
        DhcpServer server = new DhcpServer(s.net(), zone, stats, log);
        this.store = s.stateDir() == null ? null : LeaseStore.open(s.stateDir(), log);
        if (store != null) {
            server.restore(store.recovered());
        }
        this.dhcp = new DurableDhcp(server, store, () -> System.currentTimeMillis() / 1000, stats, log);
        // what follows an upstream answer (cache, reply) runs here, off dnsjava's selector thread; short work, and
        // DnsForwarder bounds how many queries wait, so one thread and its queue suffice
        this.forwarders = Executors.newSingleThreadExecutor(daemon("dns-forward"));
        List<DnsForwarder.Upstream> ups = new ArrayList<>();
        for (InetSocketAddress a : s.upstreams()) {
            ups.add(new ResolverUpstream(a, s.upstreamTimeout(), forwarders));
        }
        this.dns = new DnsResolver(s.net(), zone, ups, stats, System::currentTimeMillis, log);
        this.tcpPool = new ThreadPoolExecutor(0, 64, 30, TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(),
                daemon("dns-tcp-conn"), new ThreadPoolExecutor.AbortPolicy());
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("lease-expiry"));
        timer.scheduleWithFixedDelay(() -> {
            try {
                dhcp.expire();
            } catch (IOException | RuntimeException e) {
                log.warn("expiry_failed", "error", e.getMessage());
            }
        }, 5, 5, TimeUnit.SECONDS);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return new NameableThreadFactory(name + "-", true);
    }

    /** Opens the store, binds every configured socket and starts serving. */
    public static SlirpCore start(Settings s, EventLog log) throws IOException {
        return start(s, NatSettings.defaults(), log);
    }

    /** As {@link #start(Settings, EventLog)}, with the NAT and forwards of {@code nat}. */
    public static SlirpCore start(Settings s, NatSettings nat, EventLog log) throws IOException {
        return start(s, nat, java.util.function.UnaryOperator.identity(), log);
    }

    /** As {@link #start(Settings, NatSettings, EventLog)}; the guest's DHCP goes through {@code guestDhcp}. */
    public static SlirpCore start(Settings s, NatSettings nat, java.util.function.UnaryOperator<DhcpEndpoint> guestDhcp,
                                  EventLog log) throws IOException {
        SlirpCore c = new SlirpCore(s, nat, guestDhcp, log);
        try {
            c.open(log);
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /**
     * DNS listens on one port for UDP and TCP (RFC 7766 section 5: a server answers over both). With port 0 the
     * kernel picks the UDP port, and that number may already be taken for TCP by someone else: then another UDP
     * port is tried, a few times, before the bind error is reported.
     */
    private void openDns(InetAddress bind, EventLog log) throws IOException {
        for (int attempt = 1; ; attempt++) {
            UdpDnsServer udp = new UdpDnsServer(new InetSocketAddress(bind, settings.dnsPort()), 2, dns, 65535, log);
            try {
                tcpDns = new TcpDnsServer(new InetSocketAddress(bind, udp.port()), dns, tcpPool, log);
            } catch (java.net.BindException e) {
                udp.close();
                if (settings.dnsPort() != 0 || attempt == 8) {
                    throw e;
                }
                continue;
            }
            udpDns = udp;
            closeables.add(udpDns);
            closeables.add(tcpDns);
            return;
        }
    }

    private void open(EventLog log) throws IOException {
        if (settings.udpBind() != null) {
            InetAddress bind = InetAddress.getByName(settings.udpBind());
            udpDhcp = new UdpDhcpServer(new InetSocketAddress(settings.dhcpPort()), settings.dhcpClientPort(), dhcp,
                    settings.net(), stats, log);
            closeables.add(udpDhcp);
            openDns(bind, log);
            udpDhcp.start();
            udpDns.start();
            tcpDns.start();
            log.info("listening", "dhcp", "0.0.0.0:" + udpDhcp.port(), "dns", settings.udpBind() + ":" + udpDns.port());
        }
        if (settings.guest() != null) {
            GuestLink link = new GuestLink(settings.net(), guestDhcp.apply(dhcp), dns, stats, log);
            EventLoop loop = new EventLoop("net-loop", log); // the front end's frames and the NAT's sockets
            closeables.add(loop); // first: once its thread has stopped, what closes after it runs inline
            if (natSettings.enabled()) {
                openNat(link, loop, log);
            }
            guest = frontEnd(settings.guest(), link, loop, log);
            closeables.add(guest);
            loop.start();
            guest.start();
            log.info("listening", "guest", guest.describe());
        }
    }

    private void openNat(GuestLink link, EventLoop loop, EventLog log) throws IOException {
        java.security.SecureRandom isn = new java.security.SecureRandom(); // RFC 6528: unpredictable ISNs
        nat = new NatEngine(settings.net(), natSettings.policy(), stats, System::currentTimeMillis, isn::nextInt,
                link::attached, this::leaseMac, this::currentGuest);
        NatSockets sockets = new NatSockets(nat, loop, log);
        closeables.add(sockets);
        forwards = new Forwards(sockets, log);
        for (Forward f : natSettings.forwards()) {
            forwards.add(f);
        }
        link.nat(nat);
        log.info("nat_ready", "restrict", natSettings.policy().restrict(), "map_gw", natSettings.policy().mapGateway(),
                "max_flows", natSettings.policy().maxFlows(), "forwards", natSettings.forwards().size());
    }

    private Mac leaseMac(int ip) {
        for (Lease l : dhcp.server().leases()) {
            if (l.ip() == ip) {
                return l.mac();
            }
        }
        for (StaticLease l : dhcp.server().statics()) {
            if (l.ip() == ip) {
                return l.mac();
            }
        }
        return null;
    }

    /** The guest a forward without an address goes to: the newest dynamic lease, else the first static one. */
    private int currentGuest() {
        Lease best = null;
        for (Lease l : dhcp.server().leases()) {
            if (best == null || l.expiresAt() > best.expiresAt()) {
                best = l;
            }
        }
        if (best != null) {
            return best.ip();
        }
        for (StaticLease l : dhcp.server().statics()) {
            return l.ip();
        }
        return 0;
    }

    /** The NAT, or null when this instance has no frame front end or NAT is off. */
    public NatEngine nat() {
        return nat;
    }

    /** The forwards, or null when this instance has no NAT. */
    public Forwards forwards() {
        return forwards;
    }

    /** The one guest front end of {@code g}, its descriptor open (so a bad path or namespace fails here). */
    private FrameFrontEnd frontEnd(Settings.Guest g, GuestPort link, EventLoop loop, EventLog log)
            throws IOException {
        if (g instanceof Settings.Guest.NetdevStream s) {
            return new NetdevStreamServer(s.path(), link, stats, log, loop);
        }
        if (g instanceof Settings.Guest.NetdevDgram d) {
            return NetdevDgramServer.open(d.path(), link, stats, log, loop);
        }
        if (g instanceof Settings.Guest.InheritedFd f) {
            return InheritedFd.open(f.fd(), link, stats, log, loop);
        }
        Settings.Guest.Tap t = (Settings.Guest.Tap) g; // Java 17: no pattern switch over the sealed type yet
        return TapDevice.open(t.netns(), t.name(), t.mtu(), link, stats, log, loop);
    }

    /** What the guest front end serves ("fd=32 type=dgram"), or null without one. */
    public String guestFrontEnd() {
        return guest == null ? null : guest.describe();
    }

    public DurableDhcp dhcp() {
        return dhcp;
    }

    public DnsResolver dns() {
        return dns;
    }

    public Statistics stats() {
        return stats;
    }

    public int dnsPort() throws IOException {
        return udpDns.port();
    }

    public int dhcpPort() {
        return udpDhcp.port();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing anyway
            }
        }
        forwarders.shutdownNow();
        tcpPool.shutdownNow();
        dhcp.close();
        if (store != null) {
            try {
                store.close();
            } catch (IOException ignored) {
                // the journal is synced on every commit
            }
        }
    }
}
