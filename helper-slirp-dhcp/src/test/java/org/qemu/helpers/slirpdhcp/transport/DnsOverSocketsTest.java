package org.qemu.helpers.slirpdhcp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Tools;
import org.qemu.helpers.slirpdhcp.Settings;
import org.qemu.helpers.slirpdhcp.SlirpCore;
import org.qemu.helpers.slirpdhcp.engine.HostRecord;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.common.testing.LogLines;

/** The helper's DNS on loopback sockets, queried with dig, forwarding to a real dnsmasq on 127.0.0.2. */
class DnsOverSocketsTest {
    @TempDir
    Path dir;
    Dnsmasq upstream;
    SlirpCore core;
    final List<String> logs = java.util.Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void start() throws Exception {
        Tools.require("dig", "dnsutils");
        upstream = Dnsmasq.start("127.0.0.2", dir, "/upstream.test/192.0.2.55", "/other.test/192.0.2.66");
        Settings s = new Settings(NetworkConfig.slirpDefaults("vm.internal"), dir.resolve("state"), null, "127.0.0.1",
                0, 0, List.of(new InetSocketAddress("127.0.0.2", upstream.port),
                        new InetSocketAddress("127.0.0.2", upstream.port)), Duration.ofMillis(800));
        core = SlirpCore.start(s, LogLines.into(logs));
        core.dhcp().admin(srv -> srv.addHost(new HostRecord("nas.vm.internal", Ip4.parse("10.0.2.50"))));
    }

    @AfterEach
    void stop() {
        if (core != null) {
            core.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    ProcResult dig(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("dig", "@127.0.0.1", "-p", String.valueOf(core.dnsPort()),
                "+time=3", "+tries=1"));
        cmd.addAll(List.of(args));
        return Commands.run(Duration.ofSeconds(15), cmd);
    }

    @Test
    void localNamesAnswerAAndPtrOverUdpAndTcp() throws Exception {
        ProcResult a = dig("+short", "nas.vm.internal", "A");
        assertEquals("10.0.2.50", a.stdout().strip(), a.toString());
        ProcResult ptr = dig("+short", "-x", "10.0.2.50");
        assertEquals("nas.vm.internal.", ptr.stdout().strip(), ptr.toString());
        ProcResult tcp = dig("+tcp", "+short", "nas.vm.internal", "A");
        assertEquals("10.0.2.50", tcp.stdout().strip(), tcp.toString());
        ProcResult full = dig("nas.vm.internal", "A");
        assertTrue(full.stdout().contains("flags: qr aa rd ra"), full.stdout());
    }

    @Test
    void unknownNameInTheDomainIsNxdomain() throws Exception {
        ProcResult r = dig("ghost.vm.internal", "A");
        assertTrue(r.stdout().contains("status: NXDOMAIN"), r.stdout());
        assertTrue(r.stdout().contains("SOA"), r.stdout());
    }

    @Test
    void otherNamesAreForwardedThenServedFromCacheWhenUpstreamIsGone() throws Exception {
        ProcResult r = dig("+short", "www.upstream.test", "A");
        assertEquals("192.0.2.55", r.stdout().strip(), r.toString());
        assertEquals(1, core.stats().get(Statistics.DNS_FORWARDED));
        upstream.close();
        ProcResult cached = dig("www.upstream.test", "A");
        assertTrue(cached.stdout().contains("192.0.2.55"), cached.stdout());
        assertTrue(cached.stdout().contains("status: NOERROR"), cached.stdout());
        assertEquals(1, core.stats().get(Statistics.DNS_CACHE_HITS));
        ProcResult miss = dig("www.other.test", "A");
        assertTrue(miss.stdout().contains("status: SERVFAIL"), miss.stdout());
        assertTrue(core.stats().get(Statistics.DNS_UPSTREAM_FAILURES) >= 2, "both upstreams tried");
    }

    @Test
    void ednsIsAnsweredWithOpt() throws Exception {
        ProcResult r = dig("+edns=0", "+bufsize=1232", "nas.vm.internal", "A");
        assertTrue(r.stdout().contains("OPT PSEUDOSECTION"), r.stdout());
        assertTrue(r.stdout().contains("udp: 1232"), r.stdout());
    }
}
