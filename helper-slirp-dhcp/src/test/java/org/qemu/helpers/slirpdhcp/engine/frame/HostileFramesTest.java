package org.qemu.helpers.slirpdhcp.engine.frame;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.slirpdhcp.engine.DhcpCodec;
import org.qemu.helpers.slirpdhcp.engine.DhcpEndpoint;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessage;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessageType;
import org.qemu.helpers.slirpdhcp.engine.DhcpOption;
import org.qemu.helpers.slirpdhcp.engine.DhcpOptions;
import org.qemu.helpers.slirpdhcp.engine.DhcpServer;
import org.qemu.helpers.slirpdhcp.engine.DnsResolver;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.LocalZone;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.common.testing.LogLines;

/**
 * 120,000 random, truncated and mutated Ethernet/ARP/IPv4/UDP/ICMP frames and DHCP/DNS payloads through the guest
 * link (fixed seed; override with -Dhostile.seed=N). No exception may escape or even be caught as a bug inside the
 * link, the counters must move, and the link must still answer correctly afterwards.
 */
public class HostileFramesTest {
    static final Mac GUEST = Mac.parse("52:54:00:12:34:56");
    static final int GW = Ip4.parse("10.0.2.2");
    static final int DNS = Ip4.parse("10.0.2.3");
    static final int ROUNDS = 120_000;

    @Test
    void hostileFramesAreDroppedAndCountedAndServiceContinues() throws Exception {
        long seed = Long.getLong("hostile.seed", 20261126L);
        Random rnd = new Random(seed);
        NetworkConfig cfg = NetworkConfig.slirpDefaults("vm.internal");
        Statistics stats = new Statistics();
        List<String> logs = new ArrayList<>();
        DhcpServer dhcp = new DhcpServer(cfg, new LocalZone("vm.internal"), stats, EventLog.NONE);
        GuestLink link = new GuestLink(cfg, DhcpEndpoint.volatileEndpoint(dhcp, () -> 1_700_000_000L),
                new DnsResolver(cfg, dhcp.zone(), List.of(), stats, () -> 0L, EventLog.NONE), stats,
                LogLines.into(logs));
        List<byte[]> seeds = seedFrames();
        long replies = 0;
        try {
            for (int i = 0; i < ROUNDS; i++) {
                byte[] f = hostile(rnd, seeds, i);
                List<byte[]> out = new ArrayList<>();
                link.handle(f, out::add);
                for (byte[] o : out) {
                    Frames.ethernet(o); // every frame we send must itself parse
                    replies++;
                }
            }
        } catch (Throwable t) {
            throw new AssertionError("seed " + seed + ": " + t, t);
        }
        assertTrue(logs.stream().noneMatch(l -> l.startsWith("frame_error")), "seed " + seed + ": " + logs);
        assertEquals(ROUNDS, stats.get("frames_in"));
        assertTrue(stats.get(Statistics.DROPPED_MALFORMED) > ROUNDS / 4, stats.snapshot().toString());
        assertTrue(stats.get(Statistics.DROPPED_OTHER) > 1000, stats.snapshot().toString());
        assertTrue(stats.get(Statistics.DNS_QUERIES) > 1000, stats.snapshot().toString());
        assertTrue(replies > 1000);
        // still serving: ARP and a DNS query for the gateway name get their answers
        List<byte[]> out = new ArrayList<>();
        link.handle(seeds.get(0), out::add);
        assertEquals(1, out.size());
        System.out.println("hostile frames: seed=" + seed + " " + stats.snapshot());
    }

    public static byte[] hostile(Random rnd, List<byte[]> seeds, int i) {
        byte[] base = seeds.get(rnd.nextInt(seeds.size()));
        switch (i % 6) {
            case 0: { // random bytes
                byte[] b = new byte[rnd.nextInt(1600)];
                rnd.nextBytes(b);
                if (b.length >= 14 && rnd.nextBoolean()) {
                    b[12] = 0x08;
                    b[13] = (byte) (rnd.nextBoolean() ? 0x00 : 0x06);
                }
                return b;
            }
            case 1: // truncated
                return Arrays.copyOf(base, rnd.nextInt(base.length + 1));
            case 2: { // a few bytes flipped anywhere
                byte[] b = base.clone();
                int n = 1 + rnd.nextInt(4);
                for (int k = 0; k < n; k++) {
                    b[rnd.nextInt(b.length)] ^= (byte) (1 + rnd.nextInt(255));
                }
                return b;
            }
            case 3: // a mutated DHCP payload in a frame with valid checksums
                return Frames.udpFrame(Mac.BROADCAST, GUEST, 0, -1, 68, 67, mutate(rnd, dhcpPayload(rnd)));
            case 4: // a mutated DNS payload in a frame with valid checksums
                return Frames.udpFrame(GuestLink.virtualMac(DNS), GUEST, Ip4.parse("10.0.2.15"), DNS, 1000 + i % 5000,
                        53, mutate(rnd, dnsPayload(rnd)));
            default: { // extended or padded frame
                byte[] b = Arrays.copyOf(base, base.length + rnd.nextInt(64));
                return b;
            }
        }
    }

    static byte[] mutate(Random rnd, byte[] p) {
        byte[] b = rnd.nextInt(4) == 0 ? Arrays.copyOf(p, rnd.nextInt(p.length + 1)) : p.clone();
        int n = rnd.nextInt(6);
        for (int k = 0; k < n && b.length > 0; k++) {
            b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
        }
        return b;
    }

    static byte[] dhcpPayload(Random rnd) {
        DhcpMessageType[] types = DhcpMessageType.values();
        DhcpOptions o = new DhcpOptions().putU8(DhcpOption.MESSAGE_TYPE, types[rnd.nextInt(types.length)].code());
        if (rnd.nextBoolean()) {
            o.putIp(DhcpOption.REQUESTED_IP, Ip4.parse("10.0.2.0") + rnd.nextInt(256));
        }
        if (rnd.nextBoolean()) {
            o.putIp(DhcpOption.SERVER_ID, rnd.nextBoolean() ? GW : rnd.nextInt());
        }
        if (rnd.nextBoolean()) {
            byte[] h = new byte[rnd.nextInt(80)];
            rnd.nextBytes(h);
            o.put(DhcpOption.HOSTNAME, h);
        }
        if (rnd.nextBoolean()) {
            byte[] prl = new byte[rnd.nextInt(30)];
            rnd.nextBytes(prl);
            o.put(DhcpOption.PARAMETER_LIST, prl);
        }
        if (rnd.nextInt(4) == 0) {
            o.putU16(DhcpOption.MAX_MESSAGE_SIZE, rnd.nextInt(65536));
        }
        Mac mac = new Mac(0x525400000000L | rnd.nextInt(64));
        int ci = rnd.nextInt(3) == 0 ? Ip4.parse("10.0.2.15") + rnd.nextInt(20) : 0;
        DhcpMessage m = new DhcpMessage(1, 1, 0, rnd.nextInt(), 0, rnd.nextBoolean() ? 0x8000 : 0, ci, 0, 0,
                rnd.nextInt(8) == 0 ? rnd.nextInt() : 0, mac.bytes(), o);
        return DhcpCodec.encode(m, 1472);
    }

    static byte[] dnsPayload(Random rnd) {
        try {
            String[] names = {"gw.vm.internal.", "x.vm.internal.", "15.2.0.10.in-addr.arpa.", "example.org.", "."};
            int[] types = {Type.A, Type.AAAA, Type.PTR, Type.ANY, Type.TXT, Type.SOA};
            Message q = Message.newQuery(Record.newRecord(Name.fromString(names[rnd.nextInt(names.length)]),
                    types[rnd.nextInt(types.length)], DClass.IN));
            if (rnd.nextBoolean()) {
                q.addRecord(new OPTRecord(rnd.nextInt(65536), 0, rnd.nextInt(3)), Section.ADDITIONAL);
            }
            return q.toWire();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    public static List<byte[]> seedFrames() {
        List<byte[]> s = new ArrayList<>();
        s.add(Frames.ethernetFrame(Mac.BROADCAST, GUEST, Frames.TYPE_ARP,
                Frames.arpPacket(1, GUEST, Ip4.parse("10.0.2.15"), new Mac(0), GW)));
        s.add(Frames.ethernetFrame(GuestLink.virtualMac(GW), GUEST, Frames.TYPE_IPV4,
                Frames.ipv4Packet(Ip4.parse("10.0.2.15"), GW, Frames.PROTO_ICMP,
                        Frames.icmpEcho(8, 1, 1, new byte[56]))));
        Random r = new Random(1);
        for (int i = 0; i < 8; i++) {
            s.add(Frames.udpFrame(Mac.BROADCAST, GUEST, 0, -1, 68, 67, dhcpPayload(r)));
            s.add(Frames.udpFrame(GuestLink.virtualMac(DNS), GUEST, Ip4.parse("10.0.2.15"), DNS, 5353, 53,
                    dnsPayload(r)));
        }
        return s;
    }
}
