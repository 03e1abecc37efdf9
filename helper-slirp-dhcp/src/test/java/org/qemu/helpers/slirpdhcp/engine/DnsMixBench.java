package org.qemu.helpers.slirpdhcp.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Type;
import org.qemu.helpers.common.log.EventLog;

/**
 * bench/dns-mix.sh: queries per second through the DNS engine alone (no sockets) on the mix a Linux guest with
 * glibc sends: each lookup an A and an AAAA query; external names answered from the cache (their first query is
 * forwarded to an in-process upstream and cached), short names expanded with the search domain to local names,
 * a few unknown local names (NXDOMAIN) and PTR lookups of leases. Weights: 60 % external (cached), 30 % local
 * names, 5 % local NXDOMAIN, 5 % PTR. Each query carries a fresh ID, as a stub resolver's do. Not a test.
 */
public final class DnsMixBench {
    private DnsMixBench() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        NetworkConfig cfg = NetworkConfig.slirpDefaults("vm.internal");
        Statistics stats = new Statistics();
        DhcpServer dhcp = new DhcpServer(cfg, new LocalZone("vm.internal"), stats, EventLog.NONE);
        for (int i = 0; i < 8; i++) {
            dhcp.addHost(new HostRecord("host" + i + ".vm.internal", Ip4.parse("10.0.2." + (40 + i))));
        }
        DnsResolver resolver = DnsBenchSupport.resolver(cfg, dhcp.zone(), stats);
        List<byte[]> mix = new ArrayList<>();
        Random rnd = new Random(42);
        for (int i = 0; i < 2000; i++) {
            int pick = rnd.nextInt(100);
            String name;
            int type = i % 2 == 0 ? Type.A : Type.AAAA;
            if (pick < 60) {
                name = "site" + rnd.nextInt(50) + ".example.org.";
            } else if (pick < 90) {
                name = "host" + rnd.nextInt(8) + ".vm.internal.";
            } else if (pick < 95) {
                name = "nobody" + rnd.nextInt(4) + ".vm.internal.";
            } else {
                name = ReverseMap.fromAddress("10.0.2." + (40 + rnd.nextInt(8))).toString();
                type = Type.PTR;
            }
            Message q = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
            mix.add(q.toWire());
        }
        for (byte[] q : mix) {
            DnsBenchSupport.complete(resolver, q); // warm the cache: every external name forwarded once
        }
        for (int round = 0; round < 3; round++) {
            long n = 0;
            long cpu0 = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            int id = 0;
            while (System.nanoTime() < end) {
                for (int i = 0; i < 1000; i++) {
                    byte[] q = mix.get((int) (n++ % mix.size())).clone();
                    q[0] = (byte) (++id >>> 8);
                    q[1] = (byte) id;
                    DnsBenchSupport.complete(resolver, q);
                }
            }
            long cpu = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu0;
            // CPU time per query is the steadier figure on a shared machine; queries/s follows the load
            System.out.printf("round %d: %.0f queries/s, %.2f us CPU/query (cache hits %d, local %d)%n", round,
                    n / (double) seconds, cpu / 1000.0 / n, stats.get(Statistics.DNS_CACHE_HITS),
                    stats.get(Statistics.DNS_LOCAL));
        }
    }
}
