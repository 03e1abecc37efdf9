package org.qemu.helpers.slirpdhcp.engine.nat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.qemu.helpers.slirpdhcp.engine.nat.NatHarness.ISN;
import static org.qemu.helpers.slirpdhcp.engine.nat.NatHarness.segment;
import static org.qemu.helpers.slirpdhcp.engine.nat.TcpSegment.ACK;
import static org.qemu.helpers.slirpdhcp.engine.nat.TcpSegment.SYN;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.slirpdhcp.engine.DhcpEndpoint;
import org.qemu.helpers.slirpdhcp.engine.DhcpServer;
import org.qemu.helpers.slirpdhcp.engine.DnsResolver;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.LocalZone;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.frame.Frames;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestLink;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.common.testing.LogLines;

/**
 * 200,000 generated and mutated TCP/UDP frames through the guest link into the NAT (fixed seed; override with
 * -Dhostile.seed=N): SYN floods past the flow limit, bad checksums, truncations, overlapping and out-of-window
 * segments, resets at random sequence numbers, zero windows, MSS 1, fragments, UDP to random places, while the
 * host side connects, refuses, sends data and time passes. No exception escapes, the flow table and the buffered
 * bytes stay within their bounds, every frame sent to the guest parses with valid checksums, and a normal
 * connection works afterwards. The host side records; no packet leaves the test.
 */
class NatHostileFramesTest {
    static final int ROUNDS = 200_000;
    static final int MAX_FLOWS = 512;

    @Test
    void hostileFramesLeaveTheNatBoundedAndServing() throws Exception {
        long seed = Long.getLong("hostile.seed", 20261201L);
        Random rnd = new Random(seed);
        NatHarness h = new NatHarness(new NatPolicy(true, Ip4.parse("127.0.0.1"), false, MAX_FLOWS));
        NetworkConfig cfg = NetworkConfig.slirpDefaults("vm.internal");
        DhcpServer dhcp = new DhcpServer(cfg, new LocalZone("vm.internal"), h.stats, EventLog.NONE);
        List<String> logs = new ArrayList<>();
        GuestLink link = new GuestLink(cfg, DhcpEndpoint.volatileEndpoint(dhcp, () -> 1_700_000_000L),
                new DnsResolver(cfg, dhcp.zone(), List.of(), h.stats, () -> 0L, EventLog.NONE), h.stats,
                LogLines.into(logs));
        link.nat(h.engine);
        long sent = 0;
        int maxFlows = 0;
        long maxBuffered = 0;
        try {
            for (int i = 0; i < ROUNDS; i++) {
                link.handle(hostile(rnd), f -> h.toGuest.add(f));
                hostEvents(rnd, h);
                sent += h.drain().size(); // every frame to the guest parses, checksums verified
                maxFlows = Math.max(maxFlows, h.engine.flowCount());
                maxBuffered = Math.max(maxBuffered, h.engine.bufferedBytes());
            }
        } catch (Throwable t) {
            throw new AssertionError("seed " + seed + ": " + t, t);
        }
        assertTrue(logs.stream().noneMatch(l -> l.startsWith("frame_error")), "seed " + seed + ": " + logs);
        assertTrue(maxFlows <= MAX_FLOWS, "flows " + maxFlows);
        assertTrue(maxBuffered <= (long) MAX_FLOWS * 2 * TcpFlow.BUFFER, "buffered " + maxBuffered);
        assertTrue(h.stats.get("nat_flow_limit") > 0, "the flood reached the limit: " + h.stats.snapshot());
        assertTrue(h.stats.get("dropped_malformed") > ROUNDS / 10, h.stats.snapshot().toString());
        assertTrue(h.stats.get("nat_tcp_rst_unknown") > 1000, h.stats.snapshot().toString());
        assertTrue(sent > 10_000);
        // Still serving: after the timers run out the flood's flows, a normal connection works.
        h.advance(200_000);
        h.advance(200_000);
        assertTrue(h.engine.flowCount() < MAX_FLOWS, "flows left: " + h.engine.flowCount());
        int before = h.connects.size();
        h.send(segment(NatHarness.REMOTE, 65000, 443, 1, 0, SYN, 64240, 1460, 7, new byte[0]));
        assertEquals(before + 1, h.connects.size(), h.stats.snapshot().toString());
        TcpFlow f = h.connects.get(before);
        h.engine.hostConnected(f);
        h.drain();
        h.send(segment(NatHarness.REMOTE, 65000, 443, 2, ISN + 1, ACK, 500, 0, -1, "hello".getBytes()));
        assertArrayEquals("hello".getBytes(), h.written.get(f).bytes.toByteArray());
        System.out.println("nat hostile frames: seed=" + seed + " max_flows=" + maxFlows + " max_buffered="
                + maxBuffered + " " + h.stats.snapshot());
    }

    private static final int[] PORTS = {80, 443, 8080, 22};

    private static byte[] hostile(Random r) {
        int dst = r.nextInt(4) == 0 ? NatHarness.GW : NatHarness.REMOTE + r.nextInt(4);
        int gport = 30000 + r.nextInt(r.nextBoolean() ? 16 : 4000);
        int dport = PORTS[r.nextInt(PORTS.length)];
        int kind = r.nextInt(12);
        byte[] data = new byte[r.nextInt(8) == 0 ? r.nextInt(3000) : r.nextInt(64)];
        r.nextBytes(data);
        int seq = r.nextBoolean() ? 1000 + r.nextInt(5000) : r.nextInt();
        int ack = r.nextBoolean() ? ISN + r.nextInt(5000) : r.nextInt();
        byte[] f = switch (kind) {
            case 0, 1 -> segment(dst, gport, dport, seq, 0, SYN, 64240, r.nextInt(3) == 0 ? 1 : 1460,
                    r.nextInt(16) - 1, new byte[0]);
            case 2 -> segment(dst, gport, dport, seq, ack, r.nextInt(64), r.nextInt(65536), 0, -1, data);
            case 3 -> segment(dst, gport, dport, seq, ack, ACK, 0, 0, -1, data); // zero window
            case 4 -> segment(dst, gport, dport, r.nextInt(), 0, TcpSegment.RST, 0, 0, -1, new byte[0]);
            case 5 -> segment(dst, gport, dport, seq, ack, ACK | TcpSegment.FIN, 500, 0, -1, data);
            case 6 -> udp(r, dst, gport, data);
            default -> segment(dst, gport, dport, seq, ack, ACK | TcpSegment.PSH, r.nextInt(1000), 0, -1, data);
        };
        switch (r.nextInt(10)) {
            case 0 -> f[14 + 20 + r.nextInt(Math.min(20, f.length - 34))] ^= (byte) (1 + r.nextInt(255)); // checksum
            case 1 -> f = java.util.Arrays.copyOf(f, 14 + r.nextInt(f.length - 14)); // truncated
            case 2 -> fragment(f, r);
            case 3 -> garbleOptions(f, r);
            default -> { }
        }
        return f;
    }

    private static byte[] udp(Random r, int dst, int gport, byte[] data) {
        return Frames.udpFrame(Mac.parse("52:55:0a:00:02:02"), NatHarness.GUEST_MAC, NatHarness.GUEST, dst, gport,
                1 + r.nextInt(65535), data);
    }

    /** Sets the more-fragments bit or an offset (and fixes the header checksum): the link drops fragments. */
    private static void fragment(byte[] f, Random r) {
        int ip = 14;
        f[ip + 6] = (byte) (r.nextBoolean() ? 0x20 : 0x00);
        f[ip + 7] = (byte) (1 + r.nextInt(200));
        f[ip + 10] = 0;
        f[ip + 11] = 0;
        int c = org.qemu.helpers.slirpdhcp.engine.frame.Checksum.ipHeader(f, ip, 20);
        f[ip + 10] = (byte) (c >>> 8);
        f[ip + 11] = (byte) c;
    }

    /** Turns the data offset into one with random option bytes (the TCP checksum then fails or options are junk). */
    private static void garbleOptions(byte[] f, Random r) {
        int t = 14 + 20;
        if (f.length < t + 40) {
            return;
        }
        f[t + 12] = (byte) ((5 + r.nextInt(11)) << 4);
        for (int i = t + 20; i < t + 40; i++) {
            f[i] = (byte) r.nextInt(256);
        }
    }

    /** The host side does its part at random: connects finish or fail, data arrives, EOFs, time passes. */
    private static void hostEvents(Random r, NatHarness h) {
        if (!h.connects.isEmpty() && r.nextInt(3) == 0) {
            TcpFlow f = h.connects.get(r.nextInt(h.connects.size()));
            switch (r.nextInt(6)) {
                case 0 -> h.engine.hostConnected(f);
                case 1 -> h.engine.hostRefused(f);
                case 2 -> h.hostData(f, new byte[r.nextInt(20_000)]);
                case 3 -> h.engine.hostEof(f);
                case 4 -> h.engine.hostWritable(f);
                default -> h.engine.hostReset(f);
            }
        }
        h.socketRoom = r.nextInt(4) == 0 ? r.nextInt(3000) : Integer.MAX_VALUE;
        if (r.nextInt(50) == 0) {
            h.advance(r.nextInt(3000));
        }
        if (h.connects.size() > 20_000) {
            h.connects.subList(0, 10_000).clear(); // the harness's own record, not the engine's state
        }
        h.written.clear();
    }
}
