package org.qemu.helpers.slirpdhcp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Tools;

/**
 * Real DHCP clients (busybox udhcpc, ISC dhclient) and dig in a network namespace, joined by a veth pair to the
 * namespace where the helper's core runs as its own process with plain sockets; a real dnsmasq on 127.0.0.2 in the
 * helper's namespace is the upstream resolver.
 */
class RealClientsTest {
    @TempDir
    Path dir;
    Netns ns;

    @AfterEach
    void cleanup() {
        if (ns != null) {
            ns.close();
        }
    }

    Path script(String name, String body) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    Path udhcpcScript(Path log) throws Exception {
        // the event is logged after the address is configured: a test that waits for "bound" may use it at once
        return script("udhcpc.sh", "case \"$1\" in\n"
                + "  bound|renew) ip addr flush dev $interface; ip addr add $ip/$mask dev $interface ;;\n"
                + "  deconfig) ip addr flush dev $interface ;;\n"
                + "esac\n"
                + "echo \"$1 ip=$ip mask=$mask router=$router dns=$dns domain=$domain search=$search"
                + " lease=$lease serverid=$serverid hostname=$hostname\" >> " + log + "\n");
    }

    Process server(String... extra) throws Exception {
        Path up = dir.resolve("up");
        Files.createDirectories(up);
        ns.spawn(ns.srv, dir.resolve("dnsmasq.log"), "timeout", "300", "dnsmasq", "--keep-in-foreground",
                "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.2",
                "--port=53", "--pid-file=", "--user=root", "--group=root", "--local-ttl=300",
                "--address=/upstream.test/192.0.2.55");
        String[] base = {"--udp-bind", "10.0.2.3", "--state-dir", dir.resolve("state").toString(), "--upstream",
                "127.0.0.2:53"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return ns.startServer(dir.resolve("server.log"), all);
    }

    String dig(String... args) throws Exception {
        return digIn(ns.cli, args);
    }

    String digIn(String where, String... args) throws Exception {
        String[] cmd = new String[args.length + 4];
        cmd[0] = "dig";
        cmd[1] = "@10.0.2.3";
        cmd[2] = "+time=2";
        cmd[3] = "+tries=2";
        System.arraycopy(args, 0, cmd, 4, args.length);
        ProcResult r = ns.tryIn(where, Duration.ofSeconds(15), cmd);
        return r.stdout();
    }

    @Test
    void udhcpcLeaseHostnameInDnsRenewAndRelease() throws Exception {
        Tools.require("udhcpc", "udhcpc");
        Tools.require("dig", "dnsutils");
        ns = Netns.create(null);
        server();
        Path log = dir.resolve("udhcpc.events");
        long t0 = System.nanoTime();
        Process c = ns.spawn(ns.cli, dir.resolve("udhcpc.out"), "udhcpc", "-f", "-R", "-i", ns.cliIf,
                "-s", udhcpcScript(log).toString(), "-x", "hostname:Guest_One", "-t", "5", "-T", "1");
        Netns.awaitLine(log, c, "bound", Duration.ofSeconds(20));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String bound = Files.readString(log);
        assertTrue(bound.contains("bound ip=10.0.2.15 mask=24 router=10.0.2.2 dns=10.0.2.3 domain=vm.internal"
                + " search=vm.internal lease=86400 serverid=10.0.2.2"), bound);
        System.out.println("udhcpc lease in " + ms + " ms (includes process start)");

        assertEquals("10.0.2.15", dig("+short", "guest-one.vm.internal", "A").strip());
        assertEquals("guest-one.vm.internal.", dig("+short", "-x", "10.0.2.15").strip());
        assertTrue(dig("nobody.vm.internal").contains("status: NXDOMAIN"));
        // a name outside the domain, forwarded to dnsmasq, then from the cache
        assertEquals("192.0.2.55", dig("+short", "www.upstream.test").strip());
        assertEquals("192.0.2.55", dig("+short", "www.upstream.test").strip());

        // renew (SIGUSR1): unicast REQUEST from the bound address, ACK to ciaddr
        ns.sh("kill", "-USR1", String.valueOf(c.pid()));
        Netns.awaitLine(log, c, "renew ip=10.0.2.15", Duration.ofSeconds(15));

        // release on exit (-R): the name disappears from DNS
        ns.sh("kill", "-TERM", String.valueOf(c.pid()));
        c.waitFor();
        long deadline = System.nanoTime() + 5_000_000_000L;
        String after = "";
        while (System.nanoTime() < deadline) {
            after = digIn(ns.srv, "guest-one.vm.internal"); // the client has deconfigured its address
            if (after.contains("NXDOMAIN")) {
                break;
            }
            Thread.sleep(100);
        }
        assertTrue(after.contains("status: NXDOMAIN"), after);
        String serverLog = Files.readString(dir.resolve("server.log"));
        assertTrue(serverLog.contains("LeaseEnded") && serverLog.contains("released"), serverLog);
    }

    @Test
    void dhclientGetsItsStaticLeaseAndName() throws Exception {
        Tools.require("dhclient", "isc-dhcp-client");
        Tools.require("dig", "dnsutils");
        ns = Netns.create("52:54:00:aa:bb:01");
        server("--static", "52:54:00:aa:bb:01,10.0.2.5,db");
        Path log = dir.resolve("dhclient.events");
        Path conf = dir.resolve("dhclient.conf");
        Files.writeString(conf, "send host-name \"ignored-for-static\";\n"
                + "request subnet-mask, routers, domain-name-servers, domain-name, domain-search, host-name,"
                + " interface-mtu;\n");
        Path sc = script("dhclient.sh", "echo \"$reason ip=$new_ip_address mask=$new_subnet_mask"
                + " routers=$new_routers dns=$new_domain_name_servers host=$new_host_name"
                + " search=$new_domain_search\" >> " + log + "\n"
                + "case \"$reason\" in\n"
                + "  BOUND|RENEW|REBOOT) ip addr flush dev $interface; ip addr add $new_ip_address/24 dev $interface ;;\n"
                + "esac\n");
        long t0 = System.nanoTime();
        ProcResult r = ns.tryIn(ns.cli, Duration.ofSeconds(40), "dhclient", "-4", "-1", "-v", "-cf", conf.toString(),
                "-sf", sc.toString(), "-lf", dir.resolve("dhclient.leases").toString(), "-pf",
                dir.resolve("dhclient.pid").toString(), ns.cliIf);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String events = Files.exists(log) ? Files.readString(log) : "";
        assertEquals(0, r.exitCode(), r + " events=" + events);
        assertTrue(events.contains("BOUND ip=10.0.2.5 mask=255.255.255.0 routers=10.0.2.2 dns=10.0.2.3 host=db"
                + " search=vm.internal."), events);
        System.out.println("dhclient lease in " + ms + " ms (includes process start)");
        assertEquals("10.0.2.5", dig("+short", "db.vm.internal").strip());
        assertEquals("db.vm.internal.", dig("+short", "-x", "10.0.2.5").strip());
        // release (-r) ends the dynamic binding; the static name stays
        ns.tryIn(ns.cli, Duration.ofSeconds(20), "dhclient", "-4", "-r", "-cf", conf.toString(), "-sf", sc.toString(),
                "-lf", dir.resolve("dhclient.leases").toString(), "-pf", dir.resolve("dhclient.pid").toString(),
                ns.cliIf);
        Netns.awaitLine(dir.resolve("server.log"), null, "released", Duration.ofSeconds(10));
        assertEquals("10.0.2.5", dig("+short", "db.vm.internal").strip());
    }

    @Test
    void killNineRightAfterAckKeepsTheLease() throws Exception {
        Tools.require("udhcpc", "udhcpc");
        Tools.require("dig", "dnsutils");
        ns = Netns.create("52:54:00:aa:bb:02");
        Process srv = server();
        Path log = dir.resolve("udhcpc.events");
        ProcResult r = ns.tryIn(ns.cli, Duration.ofSeconds(30), "udhcpc", "-f", "-q", "-i", ns.cliIf, "-s",
                udhcpcScript(log).toString(), "-x", "hostname:survivor", "-t", "5", "-T", "1");
        assertEquals(0, r.exitCode(), r.toString());
        Netns.kill9(srv); // SIGKILL as soon as the client has its ACK
        ns.close();
        ns = Netns.create("52:54:00:aa:bb:02");
        // same state dir, fresh process: the lease and its name are back
        server();
        assertEquals("10.0.2.15", digIn(ns.srv, "+short", "survivor.vm.internal").strip());
        // and the client keeps its address when it comes back (INIT-REBOOT with option 50)
        Path log2 = dir.resolve("udhcpc2.events");
        ProcResult again = ns.tryIn(ns.cli, Duration.ofSeconds(30), "udhcpc", "-f", "-q", "-i", ns.cliIf, "-s",
                udhcpcScript(log2).toString(), "-r", "10.0.2.15", "-x", "hostname:survivor", "-t", "5", "-T", "1");
        assertEquals(0, again.exitCode(), again.toString());
        assertTrue(Files.readString(log2).contains("bound ip=10.0.2.15"), Files.readString(log2));
        List<String> lines = Files.readAllLines(dir.resolve("server.log"));
        assertTrue(lines.stream().anyMatch(l -> l.contains("leases_recovered") && l.contains("leases=1")),
                String.join("\n", lines));
    }
}
