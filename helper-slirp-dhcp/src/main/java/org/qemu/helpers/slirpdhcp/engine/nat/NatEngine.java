package org.qemu.helpers.slirpdhcp.engine.nat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.MalformedException;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.frame.FrameArrays;
import org.qemu.helpers.slirpdhcp.engine.frame.Frames;
import org.qemu.helpers.slirpdhcp.engine.frame.OffLinkTraffic;

/**
 * User-mode NAT: the guest's TCP and UDP flows to other addresses become host sockets (passt's "translate L2 to
 * L4 sockets"), and forwards bring host connections in. No I/O: the transport implements {@link HostSide}, calls
 * the {@code host*} methods when sockets are ready, and {@link #tick} at {@link #nextDeadline()}. Every method
 * is synchronized: the front end's thread and the socket thread both call in.
 */
public final class NatEngine implements OffLinkTraffic {
    /** Ports the NAT gives the gateway side of forwarded flows (the IANA dynamic range, RFC 6335 6). */
    static final int EPHEMERAL_LOW = 49152;
    private static final int MAC_CACHE = 1024;

    private final NetworkConfig net;
    private final NatPolicy policy;
    private final Statistics stats;
    private final LongSupplier clock;
    private final IntSupplier random;
    private final Supplier<Consumer<byte[]>> guest;
    private final IntFunction<Mac> leaseMac;
    private final IntSupplier currentGuest;
    private HostSide host;
    /** Flows not closed yet: the ones with timers, scanned by {@link #nextDeadline} and {@link #tick}. */
    private final Map<FlowKey, TcpFlow> tcp = new HashMap<>();
    /**
     * Closed flows in their 2 s of TIME-WAIT's job (a retransmitted FIN is still answered), in closing order, so
     * that neither the timer scan nor the reaping visits them one by one: at 1,900 connections a second the
     * timer scan of every flow was most of the helper's Java time (JFR). They count toward the flow limit.
     */
    private final Map<FlowKey, TcpFlow> lingering = new HashMap<>();
    private final java.util.ArrayDeque<TcpFlow> lingeringOrder = new java.util.ArrayDeque<>();
    private final Map<FlowKey, UdpFlow> udp = new HashMap<>();
    private final Map<Integer, Mac> seenMacs = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, Mac> e) {
            return size() > MAC_CACHE;
        }
    };
    private int lastSeenIp;
    private Mac lastSeenMac;
    private int nextEphemeral = EPHEMERAL_LOW;
    private final Mac gatewayMac;
    private final NatLink link = new Link();
    private final FrameArrays frameArrays = new FrameArrays(); // under this engine's lock
    private final RingArrays ringArrays = new RingArrays(TcpFlow.BUFFER); // under this engine's lock
    /** Inside a burst of guest frames (between {@link #beginBurst} and {@link #endBurst}). */
    private boolean burst;
    private final List<TcpFlow> deferred = new ArrayList<>();
    /** How stale {@link #nextDeadline()}'s answer may be. */
    static final long DEADLINE_SLACK_MS = 10;
    private long nextDeadline;
    private long deadlineScannedAt = Long.MIN_VALUE;

    /**
     * @param guest the sink toward the guest attached now (null while none)
     * @param leaseMac the MAC holding a lease on an address, or null
     * @param currentGuest the address a forward without a guest address goes to (the current lease)
     */
    public NatEngine(NetworkConfig net, NatPolicy policy, Statistics stats, LongSupplier clock, IntSupplier random,
                     Supplier<Consumer<byte[]>> guest, IntFunction<Mac> leaseMac, IntSupplier currentGuest) {
        this.net = net;
        this.policy = policy;
        this.stats = stats;
        this.clock = clock;
        this.random = random;
        this.guest = guest;
        this.leaseMac = leaseMac;
        this.currentGuest = currentGuest;
        this.gatewayMac = new Mac(0x5255_0000_0000L | Integer.toUnsignedLong(net.gateway()));
    }

    /** Sets the host sockets; once, before the first frame. */
    public void host(HostSide host) {
        this.host = host;
    }

    public NatPolicy policy() {
        return policy;
    }

    /** A flow as ListFlows shows it. */
    public record FlowInfo(String proto, String state, String guest, String remote, String host, int buffered) {
    }

    // ---- from the guest ----

    /** One TCP or UDP packet from the guest that is not for the helper's own services. Never throws. */
    public synchronized void fromGuest(Mac src, Frames.Ipv4 ip) {
        try {
            if (ip.proto() == Frames.PROTO_TCP) {
                if (fromValidSource(src, ip)) {
                    tcpFromGuest(src, ip, TcpSegment.parse(ip));
                }
            } else if (ip.proto() == Frames.PROTO_UDP) {
                fromGuest(src, ip, Frames.udp(ip));
            } else {
                stats.inc(Statistics.DROPPED_OTHER);
            }
        } catch (MalformedException e) {
            stats.inc(Statistics.DROPPED_MALFORMED);
        }
    }

    /** A UDP datagram from the guest the link has already parsed (and checksum-verified). Never throws. */
    public synchronized void fromGuest(Mac src, Frames.Ipv4 ip, Frames.Udp udp) {
        if (fromValidSource(src, ip)) {
            udpFromGuest(src, ip, udp);
        }
    }

    private boolean fromValidSource(Mac src, Frames.Ipv4 ip) {
        if (!validSource(ip.src())) {
            stats.inc("nat_dropped_source");
            return false;
        }
        if (ip.src() != lastSeenIp || !src.equals(lastSeenMac)) { // the same sender again: no boxing, no LRU update
            seenMacs.put(ip.src(), src);
            lastSeenIp = ip.src();
            lastSeenMac = src;
        }
        return true;
    }

    /** RFC 1812 5.3.7-style martian filter: only the VM network's own host addresses may be a source. */
    private boolean validSource(int src) {
        int mask = Ip4.mask(net.prefix());
        return (src & mask) == net.network() && src != net.network() && src != (net.network() | ~mask)
                && src != net.gateway() && src != net.dns();
    }

    /** Where a destination the guest names goes on the host, or 0 when the NAT refuses it. */
    private int hostAddress(int dst) {
        if (policy.restrict()) {
            return 0;
        }
        return unrestrictedHostAddress(dst);
    }

    /** {@link #hostAddress} for a TCP flow: under restrict, the gateway's allowed ports still map to the host. */
    private int tcpHostAddress(int dst, int port) {
        if (policy.restrict() && dst == net.gateway() && policy.gatewayTcpPorts().contains(port)) {
            return unrestrictedHostAddress(dst);
        }
        return hostAddress(dst);
    }

    private int unrestrictedHostAddress(int dst) {
        if (dst == net.gateway()) {
            return policy.mapGateway() ? policy.hostLoopback() : 0;
        }
        int mask = Ip4.mask(net.prefix());
        boolean multicast = (dst >>> 28) == 0xe;
        if ((dst & mask) == net.network() || multicast || dst == -1 || dst == 0 || (dst >>> 24) == 127) {
            return 0; // the VM network has no other hosts; no multicast or broadcast leaves it; no loopback by name
        }
        return dst;
    }

    private void tcpFromGuest(Mac src, Frames.Ipv4 ip, TcpSegment s) {
        FlowKey key = new FlowKey(Frames.PROTO_TCP, ip.src(), s.srcPort(), ip.dst(), s.dstPort());
        TcpFlow f = tcp.get(key);
        if (f != null) {
            f.fromGuest(s);
            settle(f);
            return;
        }
        TcpFlow closed = lingering.get(key);
        if (closed != null) {
            if (!closed.reopenedBy(s)) {
                closed.fromGuest(s);
                return;
            }
            lingering.remove(key, closed);
            lingeringOrder.remove(closed); // a scan of at most maxFlows, only when a guest reuses a port that soon
            stats.inc("nat_tcp_reopened");
        }
        if (s.has(TcpSegment.RST)) {
            return; // RFC 9293 3.10.7.1: an RST for no connection is dropped
        }
        if (!s.has(TcpSegment.SYN) || s.has(TcpSegment.ACK)) {
            // RFC 9293 3.10.7.1 (CLOSED): anything but RST is answered by RST. This is what a guest sees for a
            // connection that did not move with it in a migration: a reset, not a hang.
            stats.inc("nat_tcp_rst_unknown");
            rst(src, ip, s);
            return;
        }
        int to = tcpHostAddress(ip.dst(), s.dstPort());
        if (to == 0) {
            stats.inc("nat_refused");
            rst(src, ip, s);
            return;
        }
        if (!room()) {
            stats.inc("nat_flow_limit");
            rst(src, ip, s);
            return;
        }
        stats.inc("nat_tcp_open");
        int iss = closed != null ? closed.reopenIss() : random.getAsInt();
        TcpFlow opened = TcpFlow.outbound(key, src, link, iss, s, to, s.dstPort());
        tcp.put(key, opened);
        settle(opened);
    }

    /** RFC 9293 3.10.7.1: the reset for a segment of no connection (or a refused one). */
    private void rst(Mac src, Frames.Ipv4 ip, TcpSegment s) {
        boolean ack = s.has(TcpSegment.ACK);
        int seq = ack ? s.ack() : 0;
        int flags = TcpSegment.RST | (ack ? 0 : TcpSegment.ACK);
        link.toGuest(TcpFrames.frame(frameArrays, src, gatewayMac, ip.dst(), ip.src(), s.dstPort(), s.srcPort(),
                seq, ack ? 0 : s.seq() + s.seqLength(), flags, 0, 0, -1, null, 0, 0));
    }

    private void udpFromGuest(Mac src, Frames.Ipv4 ip, Frames.Udp u) {
        FlowKey key = new FlowKey(Frames.PROTO_UDP, ip.src(), u.srcPort(), ip.dst(), u.dstPort());
        UdpFlow f = udp.get(key);
        if (f == null) {
            int to = hostAddress(ip.dst());
            if (to == 0) {
                stats.inc("nat_refused");
                return;
            }
            if (!room()) {
                stats.inc("nat_flow_limit");
                return;
            }
            f = new UdpFlow(key, src, null, clock.getAsLong());
            if (!host.udpOpen(f, to, u.dstPort())) {
                stats.inc("nat_udp_open_failed");
                return;
            }
            stats.inc("nat_udp_open");
            udp.put(key, f);
        }
        f.used(clock.getAsLong());
        if (!host.udpSend(f, u.payload(), 0, u.payload().length)) {
            stats.inc("nat_udp_send_dropped");
        }
    }

    /**
     * Whether a new flow fits under the bound. A full table first forgets the closed flows past their linger time,
     * then, still full, the oldest closed flow before its time, as Linux recycles TIME-WAIT sockets past
     * tcp_max_tw_buckets (counted as {@code nat_linger_recycled}): a closed flow holds no socket and no buffer, and
     * without this a guest opening more than maxFlows / 2 s connections a second (2,048 at the default) was
     * refused with RST while most of the table only waited out TIME-WAIT's job. The bound itself still holds.
     */
    private boolean room() {
        if (flowCount() < policy.maxFlows()) {
            return true;
        }
        reap(clock.getAsLong());
        if (flowCount() < policy.maxFlows()) {
            return true;
        }
        TcpFlow oldest = lingeringOrder.pollFirst();
        if (oldest == null) {
            return false;
        }
        lingering.remove(oldest.key(), oldest);
        stats.inc("nat_linger_recycled");
        return flowCount() < policy.maxFlows();
    }

    /** A flow that has just closed leaves the active table for the lingering one (its timers are done). */
    private void settle(TcpFlow f) {
        if (f.closed() && tcp.remove(f.key(), f)) {
            lingering.put(f.key(), f);
            lingeringOrder.addLast(f);
        }
    }

    /**
     * The front end is delivering a burst of frames it read at once: flows may coalesce their ACKs and host writes
     * until {@link #endBurst}. Without a burst every frame is acted on at once.
     */
    public synchronized void beginBurst() {
        burst = true;
    }

    /** The burst is over (the front end's next read would wait): held-back writes and ACKs go out now. */
    public synchronized void endBurst() {
        burst = false;
        for (int i = 0; i < deferred.size(); i++) {
            TcpFlow f = deferred.get(i);
            f.endOfBurst();
            settle(f);
        }
        deferred.clear();
    }

    // ---- from the host sockets ----

    public synchronized void hostConnected(TcpFlow f) {
        f.hostConnected();
        settle(f);
    }

    public synchronized void hostRefused(TcpFlow f) {
        stats.inc("nat_tcp_host_refused");
        f.hostRefused();
        settle(f);
    }

    /** How many bytes the flow can take from its host socket now (0: stop reading). */
    public synchronized int hostReadRoom(TcpFlow f) {
        return f.hostReadRoom();
    }

    public synchronized java.nio.ByteBuffer[] hostReadViews(TcpFlow f) {
        return f.hostReadViews();
    }

    public synchronized void hostRead(TcpFlow f, int n) {
        f.hostRead(n);
        settle(f);
    }

    public synchronized void hostEof(TcpFlow f) {
        f.hostEof();
        settle(f);
    }

    public synchronized void hostReset(TcpFlow f) {
        f.hostReset();
        settle(f);
    }

    public synchronized void hostWritable(TcpFlow f) {
        f.hostWritable();
        settle(f);
    }

    /** A datagram arrived on a flow's host socket: it goes to the guest from the flow's remote address. */
    public synchronized void hostDatagram(UdpFlow f, byte[] data, int off, int len) {
        if (udp.get(f.key()) != f) {
            return;
        }
        f.used(clock.getAsLong());
        FlowKey k = f.key();
        byte[] payload = off == 0 && len == data.length ? data : java.util.Arrays.copyOfRange(data, off, off + len);
        link.toGuest(Frames.udpFrame(f.guestMac(), gatewayMac, k.remoteIp(), k.guestIp(), k.remotePort(),
                k.guestPort(), payload));
    }

    // ---- forwards ----

    /** The guest address a forward goes to now, or 0 when there is none yet. */
    public synchronized int forwardTarget(Forward fwd) {
        return fwd.guestAddr() != 0 ? fwd.guestAddr() : currentGuest.getAsInt();
    }

    /**
     * A host client connected to a TCP forward: opens a flow toward the guest (its SYN comes from the gateway
     * address and a NAT port), or returns null when the table is full or the guest is unknown (close the client).
     */
    public synchronized TcpFlow forwardAccepted(Forward fwd) {
        int to = forwardTarget(fwd);
        Mac mac = macOf(to);
        if (to == 0 || mac == null || !room()) {
            stats.inc("nat_forward_refused");
            return null;
        }
        FlowKey key = new FlowKey(Frames.PROTO_TCP, to, fwd.guestPort(), net.gateway(), ephemeral(Frames.PROTO_TCP,
                to, fwd.guestPort()));
        TcpFlow f = TcpFlow.inbound(key, mac, link, random.getAsInt());
        tcp.put(key, f);
        stats.inc("nat_forward_tcp");
        return f;
    }

    /** A datagram from a new host peer on a UDP forward: a flow for that peer, or null when it cannot be had. */
    public synchronized UdpFlow forwardDatagramFlow(Forward fwd) {
        int to = forwardTarget(fwd);
        Mac mac = macOf(to);
        if (to == 0 || mac == null || !room()) {
            stats.inc("nat_forward_refused");
            return null;
        }
        FlowKey key = new FlowKey(Frames.PROTO_UDP, to, fwd.guestPort(), net.gateway(), ephemeral(Frames.PROTO_UDP,
                to, fwd.guestPort()));
        UdpFlow f = new UdpFlow(key, mac, fwd, clock.getAsLong());
        udp.put(key, f);
        stats.inc("nat_forward_udp");
        return f;
    }

    private Mac macOf(int ip) {
        Mac m = seenMacs.get(ip);
        return m != null ? m : leaseMac.apply(ip);
    }

    private int ephemeral(int proto, int guestIp, int guestPort) {
        for (int i = 0; i < 65536 - EPHEMERAL_LOW; i++) {
            int p = nextEphemeral;
            nextEphemeral = p == 65535 ? EPHEMERAL_LOW : p + 1;
            FlowKey k = new FlowKey(proto, guestIp, guestPort, net.gateway(), p);
            if (!tcp.containsKey(k) && !lingering.containsKey(k) && !udp.containsKey(k)) {
                return p;
            }
        }
        throw new IllegalStateException("no free NAT port"); // cannot happen: maxFlows < the range
    }

    /** Closes every flow of a removed forward's host side. */
    public synchronized void forwardRemoved(Forward fwd) {
        for (Iterator<UdpFlow> it = udp.values().iterator(); it.hasNext(); ) {
            UdpFlow f = it.next();
            if (f.forward() != null && f.forward().sameHostSide(fwd)) {
                host.udpClose(f);
                it.remove();
            }
        }
    }

    // ---- time ----

    /** Runs every due timer: retransmissions, connect timeouts, idle UDP flows, closed flows to forget. */
    public synchronized void tick() {
        long now = clock.getAsLong();
        deadlineScannedAt = Long.MIN_VALUE; // the next nextDeadline scans again
        List<TcpFlow> closedNow = null;
        for (TcpFlow f : tcp.values()) { // a flow's tick never adds or removes flows
            if (f.deadline() <= now) {
                f.tick();
            }
            if (f.closed()) { // closed by its timer, or by a path that did not settle it
                closedNow = closedNow == null ? new ArrayList<>() : closedNow;
                closedNow.add(f);
            }
        }
        if (closedNow != null) {
            closedNow.forEach(this::settle);
        }
        reap(now);
    }

    private void reap(long now) {
        TcpFlow done;
        while ((done = lingeringOrder.peekFirst()) != null && done.reapable(now)) {
            lingeringOrder.pollFirst();
            lingering.remove(done.key(), done);
        }
        for (Iterator<UdpFlow> it = udp.values().iterator(); it.hasNext(); ) {
            UdpFlow f = it.next();
            if (f.idle(now)) {
                host.udpClose(f);
                it.remove();
            }
        }
    }

    /**
     * When {@link #tick} should run next (ms on the engine's clock); at least once a second while flows exist.
     * The scan of every flow runs at most once per {@link #DEADLINE_SLACK_MS} (the socket thread asks after every
     * wake-up): a timer armed in between fires up to that much late, against RTOs of 200 ms and more.
     */
    public synchronized long nextDeadline() {
        long now = clock.getAsLong();
        boolean fresh = deadlineScannedAt != Long.MIN_VALUE && now >= deadlineScannedAt
                && now - deadlineScannedAt < DEADLINE_SLACK_MS;
        if (fresh) {
            return Math.max(nextDeadline, now);
        }
        long d = now + 1000;
        for (TcpFlow f : tcp.values()) {
            d = Math.min(d, f.deadline());
        }
        deadlineScannedAt = now;
        nextDeadline = Math.max(d, now);
        return nextDeadline;
    }

    /** Drops every flow (the host sockets closed with RST): a Load replaced the state these flows belonged to. */
    public synchronized void resetAll() {
        for (TcpFlow f : tcp.values()) {
            f.hostReset();
        }
        for (UdpFlow f : udp.values()) {
            host.udpClose(f);
        }
        tcp.clear();
        lingering.clear();
        lingeringOrder.clear();
        udp.clear();
    }

    public synchronized int flowCount() {
        return tcp.size() + lingering.size() + udp.size();
    }

    public synchronized long bufferedBytes() {
        long n = 0;
        for (TcpFlow f : tcp.values()) {
            n += f.buffered(); // a lingering flow has given its rings back
        }
        return n;
    }

    public synchronized List<FlowInfo> flows() {
        List<FlowInfo> out = new ArrayList<>();
        for (TcpFlow f : tcp.values()) {
            out.add(info(f.key(), f.state().name().toLowerCase(java.util.Locale.ROOT), f.buffered()));
        }
        for (TcpFlow f : lingering.values()) {
            out.add(info(f.key(), f.state().name().toLowerCase(java.util.Locale.ROOT), 0));
        }
        for (UdpFlow f : udp.values()) {
            out.add(info(f.key(), f.forward() == null ? "open" : "forward", 0));
        }
        return out;
    }

    private FlowInfo info(FlowKey k, String state, int buffered) {
        String remote = Ip4.format(k.remoteIp()) + ":" + k.remotePort();
        String hostSide = k.remoteIp() == net.gateway() && policy.mapGateway()
                ? Ip4.format(policy.hostLoopback()) + ":" + k.remotePort() : remote;
        return new FlowInfo(k.protoName(), state, Ip4.format(k.guestIp()) + ":" + k.guestPort(), remote, hostSide,
                buffered);
    }

    private final class Link implements NatLink {
        @Override
        public void toGuest(byte[] frame) {
            Consumer<byte[]> g = guest.get();
            if (g == null) {
                stats.inc("nat_no_guest");
                return;
            }
            g.accept(frame);
        }

        @Override
        public org.qemu.helpers.slirpdhcp.engine.frame.SegmentingSink segmenting() {
            return guest.get() instanceof org.qemu.helpers.slirpdhcp.engine.frame.SegmentingSink s ? s : null;
        }

        @Override
        public HostSide host() {
            return host;
        }

        @Override
        public long nowMs() {
            return clock.getAsLong();
        }

        @Override
        public Mac gatewayMac() {
            return gatewayMac;
        }

        @Override
        public int linkMss() {
            return Math.min((net.mtu() == 0 ? 1500 : net.mtu()) - 40, 65495);
        }

        @Override
        public void count(String counter) {
            stats.inc(counter);
        }

        @Override
        public FrameArrays frameArrays() {
            return frameArrays;
        }

        @Override
        public RingArrays ringArrays() {
            return ringArrays;
        }

        @Override
        public boolean inBurst() {
            return burst;
        }

        @Override
        public void deferred(TcpFlow flow) {
            deferred.add(flow);
        }
    }
}
