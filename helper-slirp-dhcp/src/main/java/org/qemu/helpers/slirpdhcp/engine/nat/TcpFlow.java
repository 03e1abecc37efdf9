package org.qemu.helpers.slirpdhcp.engine.nat;

import java.nio.ByteBuffer;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.frame.SegmentingSink;

/**
 * One guest TCP connection translated to one host socket, without a TCP stack: like passt, it keeps per flow
 * only the sequence numbers and windows of both directions, the host bytes the guest has not acknowledged yet
 * (to resend them) and the guest bytes the host socket could not take yet (so that they can be acknowledged).
 * Each method handles one step of RFC 9293 and says which. Not thread-safe: the engine serialises calls.
 */
public final class TcpFlow {
    /** Each direction's buffer: bounds the memory of one flow (2 x this, allocated only while data waits). */
    public static final int BUFFER = 256 * 1024;
    /** The window scale shift offered to a guest that offers scaling (RFC 7323 2.2); 256 KiB needs 3. */
    static final int OUR_WINDOW_SCALE = 3;
    /** RFC 9293 3.7.1: the MSS assumed when the guest's SYN carries none. */
    static final int DEFAULT_MSS = 536;
    static final int MAX_RETRANSMITS = 12;
    static final long CONNECT_TIMEOUT_MS = 75_000;
    static final long LINGER_MS = 2_000;
    /**
     * How long the ACK of less than two full-sized segments waits for data of ours to ride on (RFC 9293
     * 3.8.6.3: MUST be under 0.5 s; RFC 5681 4.2: at least every second full-sized segment is acknowledged at
     * once). A request answered by the host within this time costs the guest no pure ACK. Below Linux's own
     * 40 ms minimum, so a guest's Nagle waits less for it than for a Linux peer.
     */
    static final long DELAYED_ACK_MS = 10;

    public enum State { CONNECTING, SYN_SENT, ESTABLISHED, CLOSED }

    private final FlowKey key;
    private final Mac guestMac;
    private final NatLink link;
    /** The transport's handle for the host socket (e.g. its selection key). */
    public Object hostHandle;

    private State state;
    // Guest -> host (RFC 9293 3.3.1 receive variables, seen from the flow).
    private int rcvNxt;
    private final ByteRing toHost;
    private boolean guestScales;
    private boolean guestFin;
    private boolean hostOutputShut;
    // Host -> guest (send variables).
    private final int iss;
    private int sndUna;
    private int sndNxt;
    private int sndWnd;
    private int sndWl1;
    private int sndWl2;
    private int guestWindowScale;
    private int mss;
    private final ByteRing toGuest;
    private boolean hostEof;
    private boolean finSent;
    private int dupAcks;
    private int lastAdvertised;
    // RFC 6298 timer; one RTT sample in flight at a time.
    private final RetransmitTimer rto = new RetransmitTimer();
    private long deadline;
    private int timedSeq;
    private long timedAt = -1;
    private long lingerUntil;
    // Held back during a burst of guest frames (RFC 5681 4.2 lets the ACK of in-order data wait).
    private boolean burstQueued;
    private boolean ackPending;
    private int unackedBytes;
    private long ackDeadline = Long.MAX_VALUE;

    private TcpFlow(FlowKey key, Mac guestMac, NatLink link, int iss, State state) {
        this.key = key;
        this.guestMac = guestMac;
        this.link = link;
        this.iss = iss;
        this.toHost = new ByteRing(link.ringArrays());
        this.toGuest = new ByteRing(link.ringArrays());
        this.sndUna = iss;
        this.sndNxt = iss;
        this.state = state;
    }

    /** RFC 9293 3.10.7.2 (LISTEN): the guest's SYN opens a flow; the host socket connects before we answer. */
    static TcpFlow outbound(FlowKey key, Mac guestMac, NatLink link, int iss, TcpSegment syn, int hostIp, int port) {
        TcpFlow f = new TcpFlow(key, guestMac, link, iss, State.CONNECTING);
        f.rcvNxt = syn.seq() + 1;
        f.takeSynOptions(syn);
        f.sndWnd = syn.window(); // RFC 7323 2.2: the window of a SYN is never scaled
        f.sndWl1 = syn.seq(); // RFC 9293 3.10.7.3: SND.WL1/WL2 from the SYN, so the first ACK's window counts
        f.sndWl2 = iss;
        f.deadline = link.nowMs() + CONNECT_TIMEOUT_MS;
        if (link.host().tcpConnect(f, hostIp, port)) {
            f.hostConnected(); // SYN-ACK now, from this thread: no hop through the socket thread
        }
        return f;
    }

    /** A forward: a host client connected, so the flow opens toward the guest with our SYN (RFC 9293 3.5). */
    static TcpFlow inbound(FlowKey key, Mac guestMac, NatLink link, int iss) {
        TcpFlow f = new TcpFlow(key, guestMac, link, iss, State.SYN_SENT);
        f.sndNxt = iss + 1;
        f.sendSyn(TcpSegment.SYN);
        f.arm();
        return f;
    }

    public FlowKey key() {
        return key;
    }

    public State state() {
        return state;
    }

    /** Bytes this flow holds in its buffers now (both directions). */
    public int buffered() {
        return toHost.size() + toGuest.size();
    }

    public boolean closed() {
        return state == State.CLOSED;
    }

    /** The time the engine should call {@link #tick} next, or Long.MAX_VALUE for none. */
    long deadline() {
        return Math.min(deadline, ackDeadline);
    }

    private void takeSynOptions(TcpSegment syn) {
        mss = Math.min(syn.mss() > 0 ? syn.mss() : DEFAULT_MSS, link.linkMss());
        mss = Math.max(mss, 64); // RFC 9293 3.7.1 lets a peer ask for tiny segments; we bound the frame count
        guestScales = syn.windowScale() >= 0;
        guestWindowScale = guestScales ? syn.windowScale() : 0;
    }

    // ---- events from the host socket ----

    /** The host socket connected: answer the guest's SYN with SYN-ACK (RFC 9293 3.10.7.2). */
    void hostConnected() {
        if (state != State.CONNECTING) {
            return;
        }
        state = State.ESTABLISHED;
        sndNxt = iss + 1;
        sendSyn(TcpSegment.SYN | TcpSegment.ACK);
        arm();
        interest();
    }

    /** The host refused (ECONNREFUSED, unreachable, timed out): the guest gets RST at once (RFC 9293 3.10.7.1). */
    void hostRefused() {
        if (state == State.CONNECTING) {
            sendControl(TcpSegment.RST | TcpSegment.ACK, 0);
            close(false);
        } else {
            hostReset();
        }
    }

    /** How many bytes the flow can take from its host socket now: 0 stops reading (back-pressure, EOF, closed). */
    int hostReadRoom() {
        return state == State.ESTABLISHED && !hostEof ? toGuest.room() : 0;
    }

    ByteBuffer[] hostReadViews() {
        return toGuest.freeViews();
    }

    /** {@code n} bytes were read from the host into {@link #hostReadViews()}; send what the guest window allows. */
    void hostRead(int n) {
        toGuest.appended(n);
        push();
        interest();
    }

    /** The host closed its sending side: FIN to the guest once every byte before it is sent (RFC 9293 3.6). */
    void hostEof() {
        hostEof = true;
        push();
        interest();
    }

    /** The host socket was reset: so is the guest's connection. */
    void hostReset() {
        if (state == State.CLOSED) {
            return;
        }
        if (state != State.CONNECTING) {
            sendControl(TcpSegment.RST | TcpSegment.ACK, sndNxt);
        }
        close(false);
    }

    /** The host socket can take more: flush guest data waiting for it and open the guest's window again. */
    void hostWritable() {
        flushToHost();
        interest();
    }

    // ---- segments from the guest ----

    /** One segment of this flow from the guest (RFC 9293 3.10.7.3 / 3.10.7.4). */
    void fromGuest(TcpSegment s) {
        switch (state) {
            case CLOSED -> lingering(s);
            case CONNECTING -> {
                if (s.has(TcpSegment.RST)) {
                    close(true);
                }
                // A retransmitted SYN waits for the host's answer like the first one.
            }
            case SYN_SENT -> synSent(s);
            case ESTABLISHED -> established(s);
        }
    }

    /** RFC 9293 3.10.7.3: our SYN to the guest (a forward) is answered by SYN-ACK, RST, or nothing. */
    private void synSent(TcpSegment s) {
        boolean ackOk = s.has(TcpSegment.ACK) && s.ack() == iss + 1;
        if (s.has(TcpSegment.ACK) && !ackOk) {
            if (!s.has(TcpSegment.RST)) {
                sendRst(s.ack());
            }
            return;
        }
        if (s.has(TcpSegment.RST)) {
            if (ackOk) {
                link.count("nat_tcp_guest_refused");
                close(true);
            }
            return;
        }
        if (!s.has(TcpSegment.SYN) || !ackOk) {
            return;
        }
        takeSynOptions(s);
        if (!guestScales) {
            guestWindowScale = 0;
        }
        rcvNxt = s.seq() + 1;
        sndUna = iss + 1;
        sndWnd = s.window();
        sndWl1 = s.seq();
        sndWl2 = s.ack();
        state = State.ESTABLISHED;
        rtoSample(s.ack());
        sendAck();
        deadline = Long.MAX_VALUE;
        interest();
    }

    private void established(TcpSegment s) {
        int len = s.seqLength();
        // RFC 5961 3.2: a RST is acted on only at exactly RCV.NXT; elsewhere in the window it gets a challenge ACK.
        if (s.has(TcpSegment.RST)) {
            if (s.seq() == rcvNxt) {
                close(true);
            } else if (inWindow(s.seq())) {
                link.count("nat_tcp_challenge_acks");
                sendAck();
            } else {
                link.count("nat_tcp_out_of_window");
            }
            return;
        }
        // RFC 5961 4.2: a SYN on a synchronised connection gets a challenge ACK, never a reset.
        if (s.has(TcpSegment.SYN)) {
            if (!synAcked() && !s.has(TcpSegment.ACK) && s.seq() == rcvNxt - 1) {
                sendSyn(TcpSegment.SYN | TcpSegment.ACK); // our SYN-ACK was lost: the guest repeats its SYN
            } else {
                link.count("nat_tcp_challenge_acks");
                sendAck();
            }
            return;
        }
        if (!s.has(TcpSegment.ACK)) {
            return; // RFC 9293 3.10.7.4, fifth check: no ACK bit, drop
        }
        if (!acceptable(s, len)) {
            link.count("nat_tcp_out_of_window");
            sendAck(); // RFC 9293 3.10.7.4, first check: an unacceptable segment is answered with an ACK
            return;
        }
        if (!ackReceived(s)) {
            return;
        }
        int before = rcvNxt;
        boolean ackNow = dataReceived(s);
        if (s.has(TcpSegment.FIN) && !guestFin && s.seq() + s.dataLength() == rcvNxt) {
            guestFin = true; // RFC 9293 3.10.7.4, eighth check
            rcvNxt++;
            ackNow = true;
            flushToHost();
            if (!finSent && holdFinAck()) {
                ackNow = false;
            }
        } else if (ackNow && rcvNxt != before && holdAck(rcvNxt - before)) {
            ackNow = false; // in-order data in a burst: acknowledged at its end, with the host write before it
        }
        if (ackNow) {
            sendAck();
        }
        push();
        interest();
        maybeDone();
    }

    /** RFC 9293 3.10.7.4 first check, table of four cases, with our receive window. */
    private boolean acceptable(TcpSegment s, int len) {
        int wnd = receiveWindow();
        if (len == 0) {
            return wnd == 0 ? s.seq() == rcvNxt : inWindow(s.seq());
        }
        if (wnd == 0) {
            return false;
        }
        return inWindow(s.seq()) || inWindow(s.seq() + len - 1)
                || (before(s.seq(), rcvNxt) && after(s.seq() + len, rcvNxt)); // covers RCV.NXT: the new part counts
    }

    private boolean inWindow(int seq) {
        return !before(seq, rcvNxt) && before(seq, rcvNxt + Math.max(receiveWindow(), 1));
    }

    /** RFC 9293 3.10.7.4 fifth check; RFC 5961 5.2 bounds acceptable ACKs. Returns false when the segment is dropped. */
    private boolean ackReceived(TcpSegment s) {
        int ack = s.ack();
        if (after(ack, sndNxt)) {
            link.count("nat_tcp_out_of_window");
            sendAck(); // acknowledges something not sent
            return false;
        }
        if (before(ack, sndUna - BUFFER)) {
            link.count("nat_tcp_out_of_window");
            sendAck();
            return false;
        }
        int win = s.window() << guestWindowScale;
        if (after(ack, sndUna)) {
            if (!synAcked()) {
                sndUna++; // the SYN's sequence number (RFC 9293 3.4)
            }
            int acked = ack - sndUna;
            int data = Math.min(acked, toGuest.size());
            toGuest.drop(data);
            rtoSample(ack);
            sndUna = ack;
            dupAcks = 0;
            rto.acked();
            deadline = sndUna == sndNxt ? Long.MAX_VALUE : link.nowMs() + rto.rtoMs();
            if (toGuest.size() == 0) {
                toGuest.trim();
            }
        } else if (ack == sndUna && sndUna != sndNxt && s.dataLength() == 0 && win == sndWnd
                && !s.has(TcpSegment.FIN)) {
            // RFC 5681 3.2: the third duplicate ACK resends the first unacknowledged segment at once.
            if (++dupAcks == 3) {
                link.count("nat_tcp_fast_retransmits");
                sendData(sndUna, mss);
            }
        }
        // RFC 9293 3.10.7.4: take the window from the newest segment (SND.WL1/WL2).
        if (before(sndWl1, s.seq()) || (sndWl1 == s.seq() && !before(ack, sndWl2))) {
            sndWnd = win;
            sndWl1 = s.seq();
            sndWl2 = ack;
        }
        return true;
    }

    /** Takes the guest's in-order data (RFC 9293 3.10.7.4 seventh check); returns true when an ACK is due. */
    private boolean dataReceived(TcpSegment s) {
        int n = s.dataLength();
        if (n == 0) {
            return false;
        }
        if (guestFin) {
            return true; // data after the FIN: ignore, acknowledge the FIN again
        }
        int skip = rcvNxt - s.seq(); // the part we already have (overlap, RFC 9293 3.10.7.4: trim)
        if (skip < 0) {
            link.count("nat_tcp_out_of_order");
            return true; // a gap: drop, and the duplicate ACK asks for RCV.NXT (RFC 5681 4.2)
        }
        if (skip >= n) {
            return true;
        }
        int off = s.dataOffset() + skip;
        int len = n - skip;
        int taken = 0;
        // the first segment of a burst is written at once, as outside one: a request then needs no ring (a ring is
        // 256 KiB, allocated when bytes wait and released when they are gone); the rest of a burst waits in the
        // ring for one gathering write at its end
        if (toHost.size() == 0 && !hostOutputShut && !burstQueued) {
            long w = link.host().tcpWrite(this, s.data(), off, len);
            if (w < 0) {
                hostReset();
                return false;
            }
            taken = (int) w;
        }
        int rest = Math.min(len - taken, toHost.room());
        if (rest > 0) {
            toHost.append(s.data(), off + taken, rest);
            if (link.inBurst()) {
                queueForBurstEnd(); // one gathering write at the end of the burst instead of one per segment
            }
        }
        rcvNxt += taken + rest;
        return true;
    }

    /**
     * Whether the ACK for {@code n} new in-order bytes may wait for the end of the burst: only inside one, and
     * only until a quarter of the buffer is unacknowledged (RFC 5681 4.2 asks for an ACK at least every second
     * full-sized segment; a burst is read at once, so one ACK covers it as GRO's does, and a Linux guest counts
     * the bytes acknowledged, RFC 3465, so its window grows as fast). Out-of-order data, FIN and window
     * updates are acknowledged at once as before.
     */
    private boolean holdAck(int n) {
        if (!link.inBurst()) {
            return false;
        }
        unackedBytes += n;
        if (unackedBytes >= BUFFER / 4) {
            flushToHost(); // first the write, so that the ACK announces the window it reopened
            return false;
        }
        ackPending = true;
        queueForBurstEnd();
        return true;
    }

    /**
     * Whether the ACK of the guest's FIN may wait {@link #DELAYED_ACK_MS} for our own FIN to carry it: a host that
     * closes as soon as it sees the half-close (a request/response connection) then costs the guest one segment, FIN
     * and ACK together, instead of two, as Linux does (tcp_fin() leaves the ACK of a FIN received in ESTABLISHED
     * to the delayed-ACK timer; RFC 9293 3.8.6.3 allows the delay, RFC 1122 4.2.3.2). Only once every guest byte
     * went to the host (the half-close is done): until then the host cannot answer it.
     */
    private boolean holdFinAck() {
        if (!hostOutputShut || state != State.ESTABLISHED) {
            return false;
        }
        ackPending = true;
        if (ackDeadline == Long.MAX_VALUE) {
            ackDeadline = link.nowMs() + DELAYED_ACK_MS;
        }
        return true;
    }

    private void queueForBurstEnd() {
        if (!burstQueued) {
            burstQueued = true;
            link.deferred(this);
        }
    }

    /** The burst is over: guest bytes held for the host go out in one write, then the held ACK. */
    void endOfBurst() {
        burstQueued = false;
        if (state != State.ESTABLISHED) {
            ackPending = false;
            return;
        }
        flushToHost();
        if (ackPending && state == State.ESTABLISHED) {
            if (unackedBytes < 2 * link.linkMss()) {
                if (ackDeadline == Long.MAX_VALUE) { // from the first byte held: later bursts do not extend it
                    ackDeadline = link.nowMs() + DELAYED_ACK_MS; // a reply from the host may carry it
                }
            } else {
                sendAck();
            }
        }
        interest();
    }

    // ---- timers ----

    /** RFC 6298 5.4-5.6 on expiry: resend from SND.UNA with the timer backed off; give up after a bound. */
    void tick() {
        long now = link.nowMs();
        if (now >= ackDeadline) {
            ackDeadline = Long.MAX_VALUE;
            if (ackPending && state == State.ESTABLISHED) {
                sendAck(); // nothing of ours came to carry it (RFC 9293 3.8.6.3)
            }
        }
        if (now < deadline) {
            return;
        }
        switch (state) {
            case CONNECTING -> hostRefused();
            case CLOSED -> deadline = Long.MAX_VALUE;
            case SYN_SENT, ESTABLISHED -> {
                if (sndUna == sndNxt) {
                    if (state == State.ESTABLISHED && synAcked() && sndWnd == 0 && toGuest.size() > 0) {
                        rto.expired(); // the persist timer backs off like the retransmission timer
                        probe();
                        deadline = now + rto.rtoMs();
                    } else {
                        deadline = Long.MAX_VALUE;
                    }
                    return;
                }
                // RFC 1122 4.2.2.17: a closed window is probed for as long as the guest answers; only data the
                // guest could take and never acknowledges ends the flow.
                if (rto.backoffs() >= MAX_RETRANSMITS && sndWnd != 0) {
                    link.count("nat_tcp_timeouts");
                    sendControl(TcpSegment.RST | TcpSegment.ACK, sndNxt);
                    close(true);
                    return;
                }
                rto.expired();
                timedAt = -1; // Karn: no sample from retransmitted data
                link.count("nat_tcp_retransmits");
                if (state == State.SYN_SENT) {
                    sendSyn(TcpSegment.SYN);
                } else if (!synAcked()) {
                    sendSyn(TcpSegment.SYN | TcpSegment.ACK);
                } else {
                    sndNxt = sndUna; // go back: resend what the window allows from the first unacknowledged byte
                    finSent = false;
                    push();
                    if (sndUna == sndNxt) {
                        // Nothing could be sent (window zero): a one-byte probe (RFC 9293 3.8.6.1).
                        probe();
                    }
                }
                deadline = now + rto.rtoMs();
            }
        }
    }

    private void probe() {
        if (toGuest.size() > 0) {
            sendData(sndUna, 1);
            sndNxt = sndUna + 1;
        }
    }

    /** Whether the guest has acknowledged our SYN; until then no data goes out (RFC 9293 3.10.7.4, SYN-RECEIVED). */
    private boolean synAcked() {
        return sndUna != iss;
    }

    private void arm() {
        deadline = link.nowMs() + rto.rtoMs();
    }

    private void rtoSample(int ack) {
        if (timedAt >= 0 && after(ack, timedSeq)) {
            rto.sample(link.nowMs() - timedAt);
            timedAt = -1;
        }
    }

    // ---- sending ----

    /** Sends host data the guest's window allows (RFC 9293 3.8.6), then FIN once all is sent. */
    private void push() {
        if (state != State.ESTABLISHED || !synAcked()) {
            return;
        }
        int inFlight = sndNxt - sndUna;
        int unsent = toGuest.size() - inFlight;
        boolean wasIdle = inFlight == 0;
        // a link that segments (a tap with GSO) takes up to 64 KiB per frame and cuts it at the MSS itself, as a
        // NIC's TSO does; the guest's window still bounds what is in flight (RFC 9293 3.8.6)
        SegmentingSink seg = link.segmenting();
        int perFrame = seg != null ? Math.max(mss, seg.maxPayload()) : mss;
        while (unsent > 0) {
            int room = sndWnd - (sndNxt - sndUna);
            int n = Math.min(Math.min(perFrame, unsent), room);
            if (n <= 0) {
                break;
            }
            sendData(sndNxt, n);
            if (timedAt < 0) {
                timedSeq = sndNxt;
                timedAt = link.nowMs();
            }
            sndNxt += n;
            unsent -= n;
        }
        if (hostEof && !finSent && unsent == 0 && sndNxt - sndUna == toGuest.size()) {
            sendControl(TcpSegment.FIN | TcpSegment.ACK, sndNxt);
            sndNxt++;
            finSent = true;
        }
        if (wasIdle && sndNxt != sndUna) {
            arm();
        } else if (unsent > 0 && sndNxt == sndUna && deadline == Long.MAX_VALUE) {
            arm(); // zero window with data waiting: the persist timer (RFC 9293 3.8.6.1)
        }
    }

    private void sendData(int seq, int len) {
        int offset = seq - sndUna;
        int n = Math.min(len, toGuest.size() - offset);
        if (n <= 0) {
            return;
        }
        int flags = TcpSegment.ACK | (offset + n == toGuest.size() ? TcpSegment.PSH : 0);
        segmentToGuest(seq, rcvNxt, flags, windowField(), 0, -1, toGuest, offset, n);
    }

    /** One segment of this flow toward the guest, from the remote side's address and port. */
    private void segmentToGuest(int seq, int ack, int flags, int window, int mss, int windowScale,
                                ByteRing payload, int payloadOffset, int len) {
        SegmentingSink seg = link.segmenting();
        byte[] f = TcpFrames.frame(link.frameArrays(), guestMac, link.gatewayMac(), key.remoteIp(), key.guestIp(),
                key.remotePort(), key.guestPort(), seq, ack, flags, window, mss, windowScale, payload, payloadOffset,
                len, seg != null);
        if (seg != null) {
            seg.acceptSegments(f, this.mss); // the link completes the checksum and cuts at the guest's MSS
        } else {
            link.toGuest(f);
        }
    }

    private void sendSyn(int flags) {
        boolean ws = (flags & TcpSegment.ACK) == 0 || guestScales;
        segmentToGuest(iss, (flags & TcpSegment.ACK) != 0 ? rcvNxt : 0, flags,
                Math.min(receiveWindow(), 65535), link.linkMss(), ws ? OUR_WINDOW_SCALE : -1, null, 0, 0);
    }

    private void sendAck() {
        sendControl(TcpSegment.ACK, sndNxt);
    }

    private void sendControl(int flags, int seq) {
        segmentToGuest(seq, rcvNxt, flags, (flags & TcpSegment.RST) != 0 ? 0 : windowField(), 0, -1,
                null, 0, 0);
    }

    /** RFC 9293 3.10.7.1: a reset for a segment that acknowledges something we never sent. */
    private void sendRst(int seq) {
        segmentToGuest(seq, 0, TcpSegment.RST, 0, 0, -1, null, 0, 0);
    }

    private int receiveWindow() {
        return hostOutputShut && !guestFin ? 0 : toHost.room();
    }

    /** The window field of a segment we send; every such segment acknowledges RCV.NXT, so no ACK is owed after. */
    private int windowField() {
        ackPending = false;
        unackedBytes = 0;
        ackDeadline = Long.MAX_VALUE;
        int shift = guestScales ? OUR_WINDOW_SCALE : 0;
        int w = Math.min(receiveWindow() >> shift, 65535);
        lastAdvertised = w << shift;
        return w;
    }

    private void flushToHost() {
        if (toHost.size() > 0 && state == State.ESTABLISHED) {
            int before = receiveWindow();
            long w = link.host().tcpWrite(this, toHost.views(0, toHost.size()));
            if (w < 0) {
                hostReset();
                return;
            }
            toHost.drop((int) w);
            if (toHost.size() == 0) {
                toHost.trim();
            }
            // RFC 9293 3.8.6.2.2: announce the reopened window once it grew by an MSS or half the buffer.
            if (receiveWindow() - lastAdvertised >= Math.min(mss, BUFFER / 2) && before < receiveWindow()) {
                sendAck();
            }
        }
        if (guestFin && toHost.size() == 0 && !hostOutputShut && state == State.ESTABLISHED) {
            hostOutputShut = true;
            link.host().tcpShutdownOutput(this);
        }
    }

    private void interest() {
        if (state == State.CLOSED || burstQueued) {
            return; // a flow waiting for the end of a burst sets its interest then (one selector wake-up at most)
        }
        boolean read = state == State.ESTABLISHED && !hostEof && toGuest.room() > 0;
        boolean write = state == State.ESTABLISHED && toHost.size() > 0;
        link.host().tcpInterest(this, read, write);
    }

    /** Both directions closed and acknowledged: the flow ends (RFC 9293 3.6, without TIME-WAIT on the host side). */
    private void maybeDone() {
        if (guestFin && finSent && sndUna == sndNxt && hostOutputShut) {
            close(false);
        }
    }

    private void close(boolean reset) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        deadline = Long.MAX_VALUE;
        ackDeadline = Long.MAX_VALUE;
        toHost.release(); // nothing more goes either way: the arrays serve other flows
        toGuest.release();
        lingerUntil = link.nowMs() + LINGER_MS;
        link.host().tcpClose(this, reset);
    }

    /** A closed flow still acknowledges a retransmitted FIN for a while (TIME-WAIT, RFC 9293 3.6), then goes. */
    private void lingering(TcpSegment s) {
        if (s.has(TcpSegment.FIN) && !s.has(TcpSegment.RST) && guestFin) {
            sendAck();
        } else if (!s.has(TcpSegment.RST)) {
            sendRst(s.has(TcpSegment.ACK) ? s.ack() : 0);
        }
    }

    /**
     * Whether the guest's segment opens this closed flow's four-tuple again: a SYN whose sequence number lies beyond
     * everything the old connection used (RFC 9293 3.6.1, MAY-2: a new SYN may reopen a connection from TIME-WAIT;
     * the test is Linux's, tcp_timewait_state_process). Without this, a guest that reused its port within the linger
     * time (Linux does when the server closed first, which leaves the guest no TIME-WAIT of its own) had its SYN
     * reset for 2 s, an RST without ACK that the guest ignores (RFC 9293 3.10.7.3), and connected 1-3 s late.
     * An older SYN is a duplicate of the old connection and gets the lingering answer.
     */
    boolean reopenedBy(TcpSegment s) {
        return state == State.CLOSED && s.has(TcpSegment.SYN) && !s.has(TcpSegment.ACK) && !s.has(TcpSegment.RST)
                && after(s.seq(), rcvNxt);
    }

    /**
     * The initial sequence number of the connection that reopens this one: larger than any this one used (RFC 9293
     * 3.6.1, MAY-2 (1)), so that a late segment of the old connection cannot fall into the new one's window; the
     * step is Linux's (tw_snd_nxt + 65535 + 2).
     */
    int reopenIss() {
        return sndNxt + 65537;
    }

    /** Whether the engine may forget this flow now. */
    boolean reapable(long now) {
        return state == State.CLOSED && now >= lingerUntil;
    }

    static boolean before(int a, int b) {
        return a - b < 0;
    }

    static boolean after(int a, int b) {
        return a - b > 0;
    }
}
