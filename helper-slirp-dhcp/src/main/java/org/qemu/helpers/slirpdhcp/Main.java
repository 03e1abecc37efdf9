package org.qemu.helpers.slirpdhcp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.qemu.helpers.common.bus.HelperIdentity;
import org.qemu.helpers.common.bus.HelperRuntime;
import org.qemu.helpers.common.bus.Identity;
import org.qemu.helpers.common.bus.StartupException;
import org.qemu.helpers.common.cli.ConfigException;
import org.qemu.helpers.common.cli.HelperCommand;
import org.qemu.helpers.common.cli.HelperVersion;
import org.qemu.helpers.common.listen.Listen;
import org.qemu.helpers.common.listen.ListenException;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.slirpdhcp.dbus.NetStateVMState;
import org.qemu.helpers.slirpdhcp.dbus.SlirpDhcp1;
import org.qemu.helpers.slirpdhcp.dbus.SlirpDhcpService;
import org.qemu.helpers.slirpdhcp.engine.Hostnames;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.nat.Forward;
import org.qemu.helpers.slirpdhcp.engine.nat.NatPolicy;
import org.qemu.helpers.slirpdhcp.libvirt.IncomingHold;
import org.qemu.helpers.slirpdhcp.libvirt.InstanceOptions;
import org.qemu.helpers.slirpdhcp.transport.InheritedFd;
import org.qemu.helpers.slirpdhcp.transport.NetdevDgramServer;
import org.qemu.helpers.slirpdhcp.transport.ResolverUpstream;
import org.qemu.helpers.slirpdhcp.transport.TapDevice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import org.qemu.helpers.common.text.Untrusted;

/** helper-slirp-dhcp: DHCP and DNS for a guest on user-mode networking, on the VM's bus as org.qemu.SlirpDhcp1. */
@Command(name = "helper-slirp-dhcp", mixinStandardHelpOptions = true, versionProvider = HelperVersion.class,
        description = "DHCP and DNS for a QEMU guest on user-mode networking (-netdev stream) or plain sockets.")
@Identity(name = "slirp-dhcp", description = "DHCP and DNS for a guest on user-mode networking",
        serves = SlirpDhcp1.class)
public final class Main extends HelperCommand {
    @Option(names = "--netdev-socket", paramLabel = "PATH",
            description = "Listen here for QEMU's -netdev stream,server=off,addr.type=unix,addr.path=PATH.")
    Path netdevSocket;

    @Option(names = "--netdev-dgram", paramLabel = "PATH", description = "Bind this Unix datagram socket for QEMU's"
            + " -netdev dgram,local.type=unix,local.path=OTHER,remote.type=unix,remote.path=PATH.")
    Path netdevDgram;

    @Option(names = "--fd", paramLabel = "N", description = "Frames on inherited socket N (libvirt: 32): SOCK_DGRAM one"
            + " frame per datagram (-netdev socket,fd= with a socketpair), SOCK_STREAM a 4-byte length before each.")
    Integer fd;

    @Option(names = "--netns", paramLabel = "PATH|PID", description = "With --tap: the network namespace (a path such"
            + " as /run/netns/NAME, or a PID) whose stack is the guest.")
    String netns;

    @Option(names = "--tap", paramLabel = "NAME", description = "With --netns: create tap NAME there, MTU from --mtu"
            + " (default 1500), and up; its DHCP client configures it.")
    String tap;

    @Option(names = "--udp-bind", paramLabel = "ADDR",
            description = "Serve DHCP (wildcard socket, broadcast replies) and DNS at ADDR on plain sockets.")
    String udpBind;

    @Option(names = "--dhcp-port", paramLabel = "N", defaultValue = "67", description = "DHCP server port (default 67).")
    int dhcpPort;

    @Option(names = "--dns-port", paramLabel = "N", defaultValue = "53", description = "DNS port (default 53).")
    int dnsPort;

    @Option(names = "--upstream", paramLabel = "ADDR[:PORT]",
            description = "Upstream resolver, tried in order (repeatable; default: nameservers of /etc/resolv.conf).")
    List<String> upstreams = new ArrayList<>();

    @Option(names = "--domain", paramLabel = "NAME", defaultValue = "vm.internal",
            description = "Domain of the VM's names (default ${DEFAULT-VALUE}).")
    String domain;

    @Option(names = "--network", paramLabel = "CIDR", defaultValue = "10.0.2.0/24",
            description = "Virtual network; gateway .2, DNS .3, pool from .15 (default ${DEFAULT-VALUE}).")
    String network;

    @Option(names = "--search", paramLabel = "NAME", description = "Search domain for option 119 (repeatable;"
            + " default: the --domain).")
    List<String> search = new ArrayList<>();

    @Option(names = "--lease-time", paramLabel = "SECONDS", defaultValue = "86400",
            description = "Lease time (default ${DEFAULT-VALUE}).")
    int leaseTime;

    @Option(names = "--mtu", paramLabel = "N", defaultValue = "0", description = "MTU sent as option 26 (0: not sent).")
    int mtu;

    @Option(names = "--upstream-timeout-ms", paramLabel = "MS", defaultValue = "2000",
            description = "Per-upstream timeout before the next one is tried (default ${DEFAULT-VALUE}).")
    int upstreamTimeoutMs;

    @Option(names = "--forward", paramLabel = "tcp|udp:[HOSTADDR:]HOSTPORT:[GUESTADDR:]GUESTPORT",
            description = "Forward a host port to the guest, as libslirp's hostfwd (repeatable; host address"
                    + " default 127.0.0.1, guest address default the guest's current lease).")
    List<String> forwardSpecs = new ArrayList<>();

    @Option(names = "--restrict", description = "The guest reaches only the helper's DHCP and DNS and the forwards;"
            + " every other flow is refused and counted (nat_refused).")
    boolean restrict;

    @Option(names = "--allow-gateway-port", paramLabel = "N", description = "With --restrict: the guest still reaches"
            + " TCP port N of the gateway, i.e. the host's 127.0.0.1:N (repeatable; libslirp's guestfwd analogue).")
    List<Integer> allowGatewayPorts = new ArrayList<>();

    @Option(names = {"--no-map-gw", "--disable-host-loopback"},
            description = "Do not map the gateway address to the host's 127.0.0.1.")
    boolean noMapGw;

    @Option(names = "--max-flows", paramLabel = "N", defaultValue = "4096",
            description = "Bound of the NAT flow table, TCP and UDP together (default ${DEFAULT-VALUE}).")
    int maxFlows;

    @Option(names = "--no-nat", description = "Serve DHCP and DNS only: the guest's other traffic is dropped.")
    boolean noNat;

    @Mixin
    InstanceOptions instance = new InstanceOptions();

    public static void main(String[] args) {
        HelperCommand.launch(new Main(), args);
    }

    @Override
    protected HelperIdentity identity() {
        return instance.identity(super.identity());
    }

    /** Validates the options into {@link Settings}; each problem names the option and what is allowed. */
    Settings settings(Path stateDir) throws ConfigException {
        Settings.Guest guest = guest();
        if (guest == null && udpBind == null) {
            throw ConfigException.option("--netdev-socket", "give a guest front end (--netdev-socket PATH,"
                    + " --netdev-dgram PATH, --fd N or --netns PATH|PID --tap NAME) and/or --udp-bind ADDR: without one"
                    + " the helper serves nobody");
        }
        String[] cidr = network.split("/", -1);
        NetworkConfig net;
        try {
            if (cidr.length != 2) {
                throw new IllegalArgumentException("want ADDR/PREFIX, e.g. 10.0.2.0/24");
            }
            String d = domain.toLowerCase(java.util.Locale.ROOT);
            if (d.endsWith(".")) {
                d = d.substring(0, d.length() - 1);
            }
            if (!d.isEmpty() && !Hostnames.isValidDomain(d)) {
                throw ConfigException.option("--domain", "'" + Untrusted.printable(domain, 80)
                        + "' is not a valid DNS name");
            }
            net = NetworkConfig.forNetwork(Ip4.parse(cidr[0]), Integer.parseInt(cidr[1]), d);
        } catch (IllegalArgumentException e) {
            throw ConfigException.option("--network", "'" + network + "': " + e.getMessage());
        }
        try {
            net = net.withLeaseSeconds(leaseTime);
        } catch (IllegalArgumentException e) {
            throw ConfigException.option("--lease-time", e.getMessage());
        }
        try {
            net = net.withMtu(mtu);
        } catch (IllegalArgumentException e) {
            throw ConfigException.option("--mtu", e.getMessage());
        }
        if (!search.isEmpty()) {
            try {
                net = net.withSearch(search);
            } catch (IllegalArgumentException e) {
                throw ConfigException.option("--search", e.getMessage());
            }
        }
        for (int[] p : new int[][] {{dhcpPort, 0}, {dnsPort, 1}}) {
            if (p[0] < 0 || p[0] > 65535) {
                throw ConfigException.option(p[1] == 0 ? "--dhcp-port" : "--dns-port", "port must be 0..65535");
            }
        }
        if (udpBind != null) {
            try {
                if (!udpBind.matches("[0-9.]+")) {
                    throw new IllegalArgumentException();
                }
                InetAddress.getByName(udpBind);
            } catch (IOException | IllegalArgumentException e) {
                throw ConfigException.option("--udp-bind", "'" + udpBind + "' is not an IPv4 address");
            }
        }
        List<InetSocketAddress> ups = new ArrayList<>();
        for (String u : upstreams) {
            try {
                ups.add(ResolverUpstream.parse(u));
            } catch (IllegalArgumentException e) {
                throw ConfigException.option("--upstream", e.getMessage());
            }
        }
        if (ups.isEmpty()) {
            try {
                Path rc = Path.of("/etc/resolv.conf");
                if (Files.exists(rc)) {
                    ups.addAll(ResolverUpstream.fromResolvConf(rc));
                }
            } catch (IOException e) {
                // no host resolver: local names only
            }
        }
        if (upstreamTimeoutMs < 50 || upstreamTimeoutMs > 30000) {
            throw ConfigException.option("--upstream-timeout-ms", "must be 50..30000");
        }
        return new Settings(net, instance.leaseDir(stateDir), guest, udpBind, dhcpPort, dnsPort, ups,
                Duration.ofMillis(upstreamTimeoutMs));
    }

    /** Validates the NAT options; each problem names the option and what is allowed. */
    NatSettings natSettings() throws ConfigException {
        List<Forward> fwds = new ArrayList<>();
        for (String f : forwardSpecs) {
            try {
                fwds.add(Forward.parse(f));
            } catch (IllegalArgumentException e) {
                throw ConfigException.option("--forward", e.getMessage());
            }
        }
        NatPolicy policy;
        try {
            policy = new NatPolicy(!noMapGw, Ip4.parse("127.0.0.1"), restrict, maxFlows, Set.copyOf(allowGatewayPorts));
        } catch (IllegalArgumentException e) {
            throw ConfigException.option(e.getMessage().startsWith("gateway") ? "--allow-gateway-port" : "--max-flows",
                    e.getMessage());
        }
        if (!allowGatewayPorts.isEmpty() && (!restrict || noMapGw)) {
            throw ConfigException.option("--allow-gateway-port", "only means something with --restrict and the"
                    + " gateway mapped to the host (no --no-map-gw)");
        }
        return new NatSettings(!noNat, policy, fwds);
    }

    /** The one guest front end the options ask for, checked as far as can be before anything is opened. */
    private Settings.Guest guest() throws ConfigException {
        List<String> given = new ArrayList<>();
        for (Object[] o : new Object[][] {{"--netdev-socket", netdevSocket}, {"--netdev-dgram", netdevDgram},
                {"--fd", fd}, {"--netns", netns}}) {
            if (o[1] != null) {
                given.add((String) o[0]);
            }
        }
        if (given.size() > 1) {
            throw ConfigException.option(given.get(0), given.get(0) + " and " + given.get(1) + " both given: one guest"
                    + " front end per instance (run one helper per NIC)");
        }
        if (tap != null && netns == null) {
            throw ConfigException.option("--tap", "needs --netns PATH|PID, the namespace to create it in");
        }
        if (netdevSocket != null) {
            return new Settings.Guest.NetdevStream(netdevSocket);
        }
        if (netdevDgram != null) {
            String bad = NetdevDgramServer.pathProblem(netdevDgram);
            if (bad != null) {
                throw ConfigException.option("--netdev-dgram", bad);
            }
            return new Settings.Guest.NetdevDgram(netdevDgram);
        }
        if (fd != null) {
            String bad = InheritedFd.problem(fd);
            if (bad != null) {
                throw ConfigException.option("--fd", bad);
            }
            return new Settings.Guest.InheritedFd(fd);
        }
        if (netns != null) {
            if (tap == null) {
                throw ConfigException.option("--netns", "needs --tap NAME, the device to create there");
            }
            if (!Files.exists(TapDevice.namespacePath(netns))) {
                throw ConfigException.option("--netns", TapDevice.namespacePath(netns)
                        + " does not exist or cannot be opened (give /run/netns/NAME, a bind-mounted namespace,"
                        + " or the PID of a process in it)");
            }
            String bad = TapDevice.nameProblem(tap);
            if (bad != null) {
                throw ConfigException.option("--tap", bad);
            }
            return new Settings.Guest.Tap(netns, tap, mtu > 0 ? mtu : 1500);
        }
        return null;
    }

    @Override
    protected void serve(HelperRuntime rt) throws Exception {
        Settings s = settings(rt.stateDir());
        NatSettings nat = natSettings();
        HelperLog log = rt.log();
        IncomingHold hold = instance.incomingHold(log);
        SlirpCore core;
        try {
            core = rt.onClose(SlirpCore.start(s, nat, InstanceOptions.guestDhcp(hold), log));
        } catch (ListenException e) {
            throw e; // a listen path that is not a stale socket: ExitCodes.STARTUP, as in every helper
        } catch (java.net.BindException e) {
            throw Listen.taken(s.udpBind() + " (DHCP port " + dhcpPort + ", DNS port " + dnsPort + ", or a --forward)", e);
        } catch (IOException e) {
            throw new StartupException("cannot start serving: " + e.getMessage());
        }
        core.dhcp().setHealth(rt.health());
        SlirpDhcpService svc = new SlirpDhcpService(core.dhcp(), core.stats(), rt.signals(), log, core.nat(),
                core.forwards());
        rt.export(svc, svc.properties());
        rt.serveVMState(InstanceOptions.vmState(hold, new NetStateVMState(core.dhcp(), s.net(), log, core.nat(),
                core.forwards())));
        List<Object> detail = new ArrayList<>(List.of("network", network, "domain", s.net().domain(), "upstreams",
                s.upstreams().size()));
        if (s.udpBind() != null) {
            detail.addAll(List.of("dhcp_port", core.dhcpPort(), "dns_port", core.dnsPort()));
        }
        if (s.guest() != null) {
            detail.addAll(List.of("guest", core.guestFrontEnd()));
        }
        rt.readyDetail(detail.toArray());
    }
}
