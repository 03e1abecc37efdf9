package org.qemu.helpers.slirpdhcp.transport;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.qemu.helpers.slirpdhcp.Settings;
import org.qemu.helpers.slirpdhcp.SlirpCore;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.StaticLease;

/**
 * The helper's serving core without the bus, for tests that must run it as its own process inside a network
 * namespace ({@code ip netns exec NS java ...}). Prints "ready" once every socket is bound; stops on SIGTERM.
 */
public final class TestServerMain {
    private TestServerMain() {
    }

    public static void main(String[] args) throws Exception {
        String domain = "vm.internal";
        Path state = null;
        Path netdev = null;
        String bind = null;
        int dhcpPort = 67;
        int dnsPort = 53;
        String network = null;
        List<InetSocketAddress> ups = new ArrayList<>();
        List<String> statics = new ArrayList<>();
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--domain" -> domain = v;
                case "--state-dir" -> state = Path.of(v);
                case "--netdev-socket" -> netdev = Path.of(v);
                case "--udp-bind" -> bind = v;
                case "--dhcp-port" -> dhcpPort = Integer.parseInt(v);
                case "--dns-port" -> dnsPort = Integer.parseInt(v);
                case "--upstream" -> ups.add(ResolverUpstream.parse(v));
                case "--static" -> statics.add(v);
                case "--network" -> network = v;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        NetworkConfig net = NetworkConfig.slirpDefaults(domain);
        if (network != null) {
            String[] p = network.split("/");
            net = NetworkConfig.forNetwork(Ip4.parse(p[0]), Integer.parseInt(p[1]), domain);
        }
        Settings s = new Settings(net, state, netdev == null ? null : new Settings.Guest.NetdevStream(netdev),
                bind, dhcpPort, dnsPort, ups, Duration.ofSeconds(1));
        SlirpCore core = SlirpCore.start(s, (level, event, kv) -> {
            System.out.println("slirp-dhcp " + org.qemu.helpers.common.log.HelperLog.line(event, kv));
            System.out.flush();
        });
        for (String st : statics) {
            String[] f = st.split(",", -1);
            core.dhcp().admin(srv -> srv.addStatic(new StaticLease(Mac.parse(f[0]), Ip4.parse(f[1]), f[2])));
        }
        core.dhcp().addListener(c -> System.out.println("slirp-dhcp change " + c));
        Runtime.getRuntime().addShutdownHook(new Thread(core::close));
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
