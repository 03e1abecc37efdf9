package org.qemu.helpers.slirpdhcp.engine.nat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.qemu.helpers.slirpdhcp.engine.nat.NatHarness.GUEST;
import static org.qemu.helpers.slirpdhcp.engine.nat.NatHarness.ISN;
import static org.qemu.helpers.slirpdhcp.engine.nat.NatHarness.REMOTE;
import static org.qemu.helpers.slirpdhcp.engine.nat.NatHarness.segment;
import static org.qemu.helpers.slirpdhcp.engine.nat.TcpSegment.ACK;
import static org.qemu.helpers.slirpdhcp.engine.nat.TcpSegment.FIN;
import static org.qemu.helpers.slirpdhcp.engine.nat.TcpSegment.PSH;
import static org.qemu.helpers.slirpdhcp.engine.nat.TcpSegment.RST;
import static org.qemu.helpers.slirpdhcp.engine.nat.TcpSegment.SYN;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.slirpdhcp.engine.Ip4;

/** The TCP translation engine, step by step against RFC 9293, RFC 7323, RFC 6298 and RFC 5961, without sockets. */
class TcpFlowTest {
    static final int G_ISN = 5000;
    final NatHarness h = new NatHarness(NatPolicy.defaults());

    /** Guest SYN (MSS 1460, window scale 7), host connects, SYN-ACK, guest ACK: an established flow. */
    private TcpFlow open(int guestWindow) throws Exception {
        h.send(segment(REMOTE, 40000, 80, G_ISN, 0, SYN, 64240, 1460, 7, new byte[0]));
        TcpFlow f = h.connects.get(h.connects.size() - 1);
        h.engine.hostConnected(f);
        h.drain();
        h.send(segment(REMOTE, 40000, 80, G_ISN + 1, ISN + 1, ACK, guestWindow, 0, -1, new byte[0]));
        return f;
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void synIsAnsweredOnlyAfterTheHostConnectsWithMssAndWindowScale() throws Exception {
        h.send(segment(REMOTE, 40000, 80, G_ISN, 0, SYN, 64240, 1460, 7, new byte[0]));
        assertEquals(0, h.drain().size(), "RFC 9293 3.10.7.2: no SYN-ACK before the host socket connects");
        assertEquals(REMOTE, h.connectIp);
        assertEquals(80, h.connectPort);
        h.engine.hostConnected(h.connects.get(0));
        List<NatHarness.Out> out = h.drain();
        assertEquals(1, out.size());
        TcpSegment synAck = out.get(0).tcp();
        assertEquals(SYN | ACK, synAck.flags());
        assertEquals(ISN, synAck.seq());
        assertEquals(G_ISN + 1, synAck.ack());
        assertEquals(1460, synAck.mss(), "MSS = link MTU 1500 - 40");
        assertEquals(TcpFlow.OUR_WINDOW_SCALE, synAck.windowScale(), "RFC 7323: scaling offered back");
        assertEquals(REMOTE, out.get(0).ip().src());
        assertEquals(GUEST, out.get(0).ip().dst());
        assertEquals(1, h.stats.get("nat_tcp_open"));
    }

    @Test
    void theGatewayAddressConnectsToHostLoopback() throws Exception {
        h.send(segment(NatHarness.GW, 40001, 8080, G_ISN, 0, SYN, 64240, 1460, 7, new byte[0]));
        assertEquals(Ip4.parse("127.0.0.1"), h.connectIp);
    }

    @Test
    void aRefusedConnectResetsTheGuestAtOnce() throws Exception {
        h.send(segment(REMOTE, 40000, 81, G_ISN, 0, SYN, 64240, 1460, 7, new byte[0]));
        h.engine.hostRefused(h.connects.get(0));
        List<NatHarness.Out> out = h.drain();
        assertEquals(1, out.size());
        assertEquals(RST | ACK, out.get(0).tcp().flags());
        assertEquals(G_ISN + 1, out.get(0).tcp().ack(), "RFC 9293 3.10.7.1: the RST acknowledges the SYN");
    }

    @Test
    void guestDataGoesToTheHostSocketAndIsAcknowledged() throws Exception {
        TcpFlow f = open(502);
        byte[] d = bytes(1000, 1);
        h.send(segment(REMOTE, 40000, 80, G_ISN + 1, ISN + 1, ACK, 502, 0, -1, d));
        assertArrayEquals(d, h.written.get(f).bytes.toByteArray());
        List<NatHarness.Out> out = h.drain();
        assertEquals(G_ISN + 1 + 1000, out.get(out.size() - 1).tcp().ack());
    }

    @Test
    void aFullHostSocketShrinksTheWindowAndItReopensWhenTheSocketDrains() throws Exception {
        TcpFlow f = open(502);
        h.socketRoom = 100;
        byte[] d = bytes(2800, 2);
        h.send(segment(REMOTE, 40000, 80, G_ISN + 1, ISN + 1, ACK, 502, 0, -1, java.util.Arrays.copyOf(d, 1400)));
        h.send(segment(REMOTE, 40000, 80, G_ISN + 1401, ISN + 1, ACK, 502, 0, -1,
                java.util.Arrays.copyOfRange(d, 1400, 2800)));
        List<NatHarness.Out> acks = h.drain();
        NatHarness.Out ack = acks.get(acks.size() - 1);
        assertEquals(G_ISN + 1 + 2800, ack.tcp().ack(), "buffered bytes are acknowledged");
        int window = ack.tcp().window() << TcpFlow.OUR_WINDOW_SCALE;
        assertEquals((TcpFlow.BUFFER - 2700) >> TcpFlow.OUR_WINDOW_SCALE << TcpFlow.OUR_WINDOW_SCALE, window, "the window is what the flow's buffer still takes");
        assertTrue(h.writeInterest, "the engine waits for the socket to drain");
        h.socketRoom = Integer.MAX_VALUE;
        h.engine.hostWritable(f);
        assertArrayEquals(d, h.written.get(f).bytes.toByteArray());
        NatHarness.Out update = h.drain().get(0);
        assertEquals(TcpFlow.BUFFER, update.tcp().window() << TcpFlow.OUR_WINDOW_SCALE,
                "RFC 9293 3.8.6.2.2: the reopened window is announced");
    }

    @Test
    void dataBeyondTheBufferIsNotAcknowledged() throws Exception {
        TcpFlow f = open(502);
        h.socketRoom = 0;
        int seq = G_ISN + 1;
        for (int i = 0; i < 200; i++) {
            h.send(segment(REMOTE, 40000, 80, seq, ISN + 1, ACK, 502, 0, -1, bytes(1460, i)));
            seq += 1460;
        }
        List<NatHarness.Out> out = h.drain();
        int acked = out.get(out.size() - 1).tcp().ack() - (G_ISN + 1);
        assertEquals(TcpFlow.BUFFER, acked, "exactly the buffer is taken, the rest is the guest's to resend");
        assertEquals(0, out.get(out.size() - 1).tcp().window());
        assertTrue(f.buffered() <= 2 * TcpFlow.BUFFER);
    }

    @Test
    void hostDataIsSegmentedByMssAndBoundedByTheScaledGuestWindow() throws Exception {
        TcpFlow f = open(40); // 40 << 7 = 5120 bytes
        byte[] d = bytes(20_000, 3);
        assertEquals(20_000, h.hostData(f, d));
        List<NatHarness.Out> out = h.drain();
        int sent = 0;
        for (NatHarness.Out o : out) {
            assertTrue(o.tcp().dataLength() <= 1460);
            sent += o.tcp().dataLength();
        }
        assertEquals(5120, sent, "RFC 7323 2.2: the guest's window is scaled by its shift");
        assertEquals(ISN + 1, out.get(0).tcp().seq());
        // The guest acknowledges everything and opens its window: the rest follows.
        h.send(segment(REMOTE, 40000, 80, G_ISN + 1, ISN + 1 + 5120, ACK, 500, 0, -1, new byte[0]));
        int more = 0;
        for (NatHarness.Out o : h.drain()) {
            more += o.tcp().dataLength();
        }
        assertEquals(20_000 - 5120, more);
    }

    @Test
    void theFirstAckSetsTheScaledWindowWhateverTheGuestIsn() throws Exception {
        int isn = 0x9000_0000; // negative as an int: sequence comparisons must wrap (RFC 9293 3.4)
        h.send(segment(REMOTE, 40010, 80, isn, 0, SYN, 65535, 1460, 7, new byte[0]));
        TcpFlow f = h.connects.get(0);
        h.engine.hostConnected(f);
        h.drain();
        h.send(segment(REMOTE, 40010, 80, isn + 1, ISN + 1, ACK, 1000, 0, -1, new byte[0])); // 1000 << 7
        h.hostData(f, bytes(200_000, 11));
        int sent = 0;
        for (NatHarness.Out o : h.drain()) {
            sent += o.tcp().dataLength();
        }
        assertEquals(128_000, sent, "the window of the first ACK, scaled, not the SYN's 65535");
    }

    @Test
    void aFullSendBufferStopsReadingTheHostSocket() throws Exception {
        TcpFlow f = open(0);
        h.hostData(f, bytes(TcpFlow.BUFFER, 4));
        assertEquals(0, h.engine.hostReadRoom(f));
        assertTrue(!h.readInterest, "back-pressure: no more reads while the guest takes nothing");
    }

    @Test
    void unacknowledgedDataIsResentAtTheRtoWithBackoff() throws Exception {
        TcpFlow f = open(500);
        h.hostData(f, bytes(1000, 5));
        assertEquals(1, h.drain().size());
        h.advance(RetransmitTimer.INITIAL_MS - 1);
        assertEquals(0, h.drain().size());
        h.advance(1);
        List<NatHarness.Out> again = h.drain();
        assertEquals(1, again.size(), "RFC 6298 5.4: the first unacknowledged segment again");
        assertEquals(ISN + 1, again.get(0).tcp().seq());
        h.advance(RetransmitTimer.INITIAL_MS);
        assertEquals(0, h.drain().size(), "RFC 6298 5.5: the timer doubled");
        h.advance(RetransmitTimer.INITIAL_MS);
        assertEquals(1, h.drain().size());
        assertEquals(2, h.stats.get("nat_tcp_retransmits"));
    }

    @Test
    void aZeroWindowIsProbedWithOneByte() throws Exception {
        TcpFlow f = open(0);
        h.hostData(f, bytes(3000, 6));
        assertEquals(0, h.drain().size(), "nothing fits a zero window");
        h.advance(RetransmitTimer.INITIAL_MS);
        List<NatHarness.Out> probe = h.drain();
        assertEquals(1, probe.size());
        assertEquals(1, probe.get(0).tcp().dataLength(), "RFC 9293 3.8.6.1: a one-byte probe");
    }

    @Test
    void aResetAtTheWrongSequenceGetsAChallengeAckNotAClose() throws Exception {
        TcpFlow f = open(500);
        h.send(segment(REMOTE, 40000, 80, G_ISN + 100, 0, RST, 0, 0, -1, new byte[0]));
        assertEquals(List.of(), h.closedReset);
        assertEquals(ACK, h.drain().get(0).tcp().flags(), "RFC 5961 3.2: challenge ACK");
        h.send(segment(REMOTE, 40000, 80, G_ISN + 1, 0, RST, 0, 0, -1, new byte[0]));
        assertEquals(List.of(f), h.closedReset, "at RCV.NXT the reset closes the host socket with RST");
    }

    @Test
    void anOutOfWindowSegmentIsAcknowledgedAndItsDataDropped() throws Exception {
        TcpFlow f = open(500);
        h.send(segment(REMOTE, 40000, 80, G_ISN + 1 + 10_000_000, ISN + 1, ACK, 500, 0, -1, bytes(100, 7)));
        assertEquals(null, h.written.get(f));
        assertEquals(G_ISN + 1, h.drain().get(0).tcp().ack());
        assertEquals(1, h.stats.get("nat_tcp_out_of_window"));
    }

    @Test
    void anOverlappingRetransmissionIsTrimmed() throws Exception {
        TcpFlow f = open(500);
        byte[] d = bytes(2000, 8);
        h.send(segment(REMOTE, 40000, 80, G_ISN + 1, ISN + 1, ACK, 500, 0, -1, java.util.Arrays.copyOf(d, 1000)));
        h.send(segment(REMOTE, 40000, 80, G_ISN + 501, ISN + 1, ACK, 500, 0, -1,
                java.util.Arrays.copyOfRange(d, 500, 2000)));
        assertArrayEquals(d, h.written.get(f).bytes.toByteArray());
    }

    @Test
    void aSegmentOfAnUnknownFlowIsReset() throws Exception {
        h.send(segment(REMOTE, 40002, 80, 777, 999, ACK, 500, 0, -1, bytes(10, 9)));
        List<NatHarness.Out> out = h.drain();
        assertEquals(RST, out.get(0).tcp().flags(), "RFC 9293 3.10.7.1: e.g. a flow that did not migrate");
        assertEquals(999, out.get(0).tcp().seq());
    }

    @Test
    void finBothWaysEndsTheFlow() throws Exception {
        TcpFlow f = open(500);
        h.send(segment(REMOTE, 40000, 80, G_ISN + 1, ISN + 1, ACK | FIN, 500, 0, -1, new byte[0]));
        assertEquals(List.of(f), h.shutdowns, "RFC 9293 3.6: the guest's FIN half-closes the host socket");
        assertEquals(0, h.drain().size(), "the FIN's ACK waits for ours to carry it (RFC 9293 3.8.6.3)");
        h.advance(TcpFlow.DELAYED_ACK_MS - 1);
        h.engine.hostEof(f);
        List<NatHarness.Out> out = h.drain();
        assertEquals(1, out.size(), "FIN and ACK in one segment");
        NatHarness.Out fin = out.get(0);
        assertTrue(fin.tcp().has(FIN));
        assertEquals(G_ISN + 2, fin.tcp().ack());
        h.advance(TcpFlow.DELAYED_ACK_MS);
        assertEquals(0, h.drain().size(), "no ACK is owed any more");
        h.send(segment(REMOTE, 40000, 80, G_ISN + 2, ISN + 2, ACK, 500, 0, -1, new byte[0]));
        assertEquals(List.of(f), h.closed);
        h.advance(TcpFlow.LINGER_MS + 1);
        assertEquals(0, h.engine.flowCount());
    }

    @Test
    void theFinsAckGoesAloneWhenTheHostDoesNotCloseWithinTheDelay() throws Exception {
        TcpFlow f = open(500);
        h.send(segment(REMOTE, 40000, 80, G_ISN + 1, ISN + 1, ACK | FIN, 500, 0, -1, new byte[0]));
        assertEquals(0, h.drain().size());
        h.advance(TcpFlow.DELAYED_ACK_MS + NatEngine.DEADLINE_SLACK_MS);
        List<NatHarness.Out> out = h.drain();
        assertEquals(1, out.size());
        assertEquals(ACK, out.get(0).tcp().flags());
        assertEquals(G_ISN + 2, out.get(0).tcp().ack());
        h.engine.hostEof(f);
        NatHarness.Out fin = h.drain().get(0);
        assertEquals(FIN | ACK, fin.tcp().flags());
    }

    @Test
    void aFinAfterOursIsAcknowledgedAtOnce() throws Exception {
        TcpFlow f = open(500);
        h.engine.hostEof(f);
        assertTrue(h.drain().get(0).tcp().has(FIN));
        h.send(segment(REMOTE, 40000, 80, G_ISN + 1, ISN + 2, ACK | FIN, 500, 0, -1, new byte[0]));
        List<NatHarness.Out> out = h.drain();
        assertEquals(1, out.size(), "the last ACK of the connection is not delayed");
        assertEquals(G_ISN + 2, out.get(0).tcp().ack());
        assertEquals(List.of(f), h.closed);
    }

    @Test
    void aNewSynOnAClosedFlowsPortsReopensIt() throws Exception {
        TcpFlow f = open(500);
        h.engine.hostEof(f); // the server closed first, so the guest keeps no TIME-WAIT and may reuse its port
        h.drain();
        h.send(segment(REMOTE, 40000, 80, G_ISN + 1, ISN + 2, ACK | FIN, 500, 0, -1, new byte[0]));
        assertEquals(TcpFlow.State.CLOSED, f.state());
        h.drain();
        h.send(segment(REMOTE, 40000, 80, G_ISN, 0, SYN, 64240, 1460, 7, new byte[0]));
        assertEquals(RST, h.drain().get(0).tcp().flags(), "an old duplicate SYN gets the lingering answer");
        assertEquals(1, h.connects.size());

        int newIsn = G_ISN + 100_000;
        h.send(segment(REMOTE, 40000, 80, newIsn, 0, SYN, 64240, 1460, 7, new byte[0]));
        assertEquals(2, h.connects.size(), "RFC 9293 3.6.1 MAY-2: a SYN beyond the old connection reopens it");
        TcpFlow reopened = h.connects.get(1);
        h.engine.hostConnected(reopened);
        TcpSegment synAck = h.drain().get(0).tcp();
        assertEquals(SYN | ACK, synAck.flags(), "answered at once, not reset for the linger time");
        assertEquals(newIsn + 1, synAck.ack());
        assertEquals(ISN + 2 + 65537, synAck.seq(), "our ISN lies beyond every sequence number the old one used");
        assertEquals(1, h.stats.get("nat_tcp_reopened"));
        assertEquals(1, h.engine.flowCount(), "the closed flow is gone, the new one counts once");
        byte[] d = bytes(100, 11);
        h.send(segment(REMOTE, 40000, 80, newIsn + 1, ISN + 2 + 65538, ACK, 500, 0, -1, d));
        assertArrayEquals(d, h.written.get(reopened).bytes.toByteArray());
        h.advance(TcpFlow.LINGER_MS + 1);
        assertEquals(1, h.engine.flowCount(), "reaping the old flow's time leaves the new flow alone");
    }

    @Test
    void theFlowTableIsBounded() throws Exception {
        NatHarness small = new NatHarness(new NatPolicy(true, Ip4.parse("127.0.0.1"), false, 2));
        for (int p = 0; p < 3; p++) {
            small.send(segment(REMOTE, 41000 + p, 80, G_ISN, 0, SYN, 64240, 1460, 7, new byte[0]));
        }
        assertEquals(2, small.engine.flowCount());
        assertEquals(1, small.stats.get("nat_flow_limit"));
        assertEquals(RST | ACK, small.drain().get(0).tcp().flags());
    }

    @Test
    void aFullTableRecyclesTheOldestClosedFlowBeforeRefusing() throws Exception {
        NatHarness small = new NatHarness(new NatPolicy(true, Ip4.parse("127.0.0.1"), false, 2));
        small.connectsAtOnce = true;
        for (int p = 0; p < 2; p++) { // two connections opened and closed: both linger (TIME-WAIT's job)
            small.send(segment(REMOTE, 41000 + p, 80, G_ISN, 0, SYN, 64240, 1460, 7, new byte[0]));
            TcpFlow f = small.connects.get(p);
            small.send(segment(REMOTE, 41000 + p, 80, G_ISN + 1, ISN + 1, ACK, 500, 0, -1, new byte[0]));
            small.send(segment(REMOTE, 41000 + p, 80, G_ISN + 1, ISN + 1, ACK | FIN, 500, 0, -1, new byte[0]));
            small.engine.hostEof(f);
            small.send(segment(REMOTE, 41000 + p, 80, G_ISN + 2, ISN + 2, ACK, 500, 0, -1, new byte[0]));
            assertEquals(TcpFlow.State.CLOSED, f.state());
        }
        small.drain();
        assertEquals(2, small.engine.flowCount());
        small.send(segment(REMOTE, 41002, 80, G_ISN, 0, SYN, 64240, 1460, 7, new byte[0]));
        assertEquals(SYN | ACK, small.drain().get(0).tcp().flags(), "the new connection is answered, not reset");
        assertEquals(1, small.stats.get("nat_linger_recycled"));
        assertEquals(0, small.stats.get("nat_flow_limit"));
        assertEquals(2, small.engine.flowCount(), "the bound holds");
        small.send(segment(REMOTE, 41001, 80, G_ISN + 1, ISN + 1, ACK | FIN, 500, 0, -1, new byte[0]));
        assertEquals(ACK, small.drain().get(0).tcp().flags(), "the younger closed flow still answers its FIN");
        small.send(segment(REMOTE, 41000, 80, G_ISN + 1, ISN + 1, ACK | FIN, 500, 0, -1, new byte[0]));
        assertEquals(RST, small.drain().get(0).tcp().flags(), "the recycled one is forgotten");
    }

    @Test
    void restrictRefusesOutboundFlows() throws Exception {
        NatHarness r = new NatHarness(new NatPolicy(true, Ip4.parse("127.0.0.1"), true, 16));
        r.send(segment(REMOTE, 41000, 80, G_ISN, 0, SYN, 64240, 1460, 7, new byte[0]));
        assertEquals(0, r.connects.size());
        assertEquals(1, r.stats.get("nat_refused"));
        assertEquals(RST | ACK, r.drain().get(0).tcp().flags());
    }

    @Test
    void restrictStillLetsTheAllowedGatewayPortsThroughAndNothingElse() throws Exception {
        NatHarness r = new NatHarness(new NatPolicy(true, Ip4.parse("127.0.0.1"), true, 16, java.util.Set.of(8080)));
        r.send(segment(NatHarness.GW, 41000, 8080, G_ISN, 0, SYN, 64240, 1460, 7, new byte[0]));
        assertEquals(1, r.connects.size());
        assertEquals(Ip4.parse("127.0.0.1"), r.connectIp);
        assertEquals(8080, r.connectPort);
        r.send(segment(NatHarness.GW, 41001, 8081, G_ISN, 0, SYN, 64240, 1460, 7, new byte[0]));
        r.send(segment(REMOTE, 41002, 8080, G_ISN, 0, SYN, 64240, 1460, 7, new byte[0]));
        assertEquals(1, r.connects.size(), "another gateway port and another host stay refused");
        assertEquals(2, r.stats.get("nat_refused"));
    }

    @Test
    void aForwardOpensTowardTheGuestWithOurSyn() throws Exception {
        TcpFlow f = h.engine.forwardAccepted(Forward.parse("tcp:127.0.0.1:8022:22"));
        NatHarness.Out syn = h.drain().get(0);
        assertEquals(SYN, syn.tcp().flags());
        assertEquals(22, syn.tcp().dstPort());
        assertEquals(NatHarness.GW, syn.ip().src());
        int sport = syn.tcp().srcPort();
        h.send(segment(NatHarness.GW, 22, sport, 9000, ISN + 1, SYN | ACK, 64240, 1460, 7, new byte[0]));
        assertEquals(TcpFlow.State.ESTABLISHED, f.state());
        assertEquals(ACK, h.drain().get(0).tcp().flags());
    }

    @Test
    void tinyGuestMssIsBounded() throws Exception {
        h.send(segment(REMOTE, 40000, 80, G_ISN, 0, SYN, 64240, 1, 7, new byte[0]));
        TcpFlow f = h.connects.get(0);
        h.engine.hostConnected(f);
        h.send(segment(REMOTE, 40000, 80, G_ISN + 1, ISN + 1, ACK, 500, 0, -1, new byte[0]));
        h.drain();
        h.hostData(f, bytes(6400, 10));
        List<NatHarness.Out> out = h.drain();
        assertEquals(100, out.size(), "MSS 1 is raised to 64: 6400 bytes in 100 frames, not 6400");
    }

    @Test
    void aBurstOfInOrderSegmentsIsWrittenInTwoWritesAndAcknowledgedOnceAtItsEnd() throws Exception {
        TcpFlow f = open(502);
        byte[] d = bytes(4 * 1460, 11);
        int writes = h.writes;
        h.engine.beginBurst();
        for (int i = 0; i < 4; i++) {
            h.send(segment(REMOTE, 40000, 80, G_ISN + 1 + i * 1460, ISN + 1, ACK, 502, 0, -1,
                    java.util.Arrays.copyOfRange(d, i * 1460, (i + 1) * 1460)));
        }
        assertEquals(0, h.drain().size(), "RFC 5681 4.2: in-order data in a burst waits for one ACK");
        assertEquals(writes + 1, h.writes, "only the burst's first segment is written before the burst ends");
        h.engine.endBurst();
        assertArrayEquals(d, h.written.get(f).bytes.toByteArray());
        assertEquals(writes + 2, h.writes, "the rest of the burst in one gathering write");
        List<NatHarness.Out> out = h.drain();
        assertEquals(1, out.size());
        assertEquals(G_ISN + 1 + 4 * 1460, out.get(0).tcp().ack());
        assertEquals(TcpFlow.BUFFER, out.get(0).tcp().window() << TcpFlow.OUR_WINDOW_SCALE, "the window is open again");
    }

    @Test
    void aSegmentingLinkTakesOneLongFrameCutAtTheGuestsMssAndTheGuestsWindowStillBounds() throws Exception {
        h.segmenting = true;
        TcpFlow f = open(4000); // 4000 << 7 = 512,000 bytes of window
        h.segmentMss.clear(); // the SYN-ACK went that way too
        byte[] d = bytes(200_000, 31);
        h.hostData(f, d);
        List<NatHarness.Out> out = h.drain();
        assertEquals(4, out.size(), "200,000 bytes in frames of at most 65,495 (the IPv4 length bounds a frame)");
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        for (NatHarness.Out o : out) {
            assertTrue(o.tcp().dataLength() <= 65535 - 40);
            got.write(o.data());
        }
        assertArrayEquals(d, got.toByteArray(), "the payload is intact and its checksum right once completed");
        assertEquals(List.of(1460, 1460, 1460, 1460), h.segmentMss, "the link cuts at the guest's MSS");
    }

    @Test
    void aSegmentingLinksBoundIsTheGuestsWindow() throws Exception {
        h.segmenting = true;
        TcpFlow f = open(40); // 40 << 7 = 5120 bytes
        h.hostData(f, bytes(20_000, 32));
        List<NatHarness.Out> out = h.drain();
        assertEquals(1, out.size());
        assertEquals(5120, out.get(0).tcp().dataLength(), "RFC 9293 3.8.6: never more than the window in flight");
    }

    @Test
    void aDeferredChecksumIsNotVerifiedAndAWrongOneOtherwiseDropsTheSegment() throws Exception {
        TcpFlow f = open(502);
        byte[] seg = segment(REMOTE, 40000, 80, G_ISN + 1, ISN + 1, ACK | PSH, 502, 0, -1, bytes(100, 33));
        seg[14 + 20 + 16] ^= 0x5a; // as a partial sum looks to a verifier: wrong
        long malformed = h.stats.get(org.qemu.helpers.slirpdhcp.engine.Statistics.DROPPED_MALFORMED);
        h.send(seg);
        assertEquals(malformed + 1, h.stats.get(org.qemu.helpers.slirpdhcp.engine.Statistics.DROPPED_MALFORMED));
        assertEquals(null, h.written.get(f), "dropped: nothing written");
        h.send(seg, true);
        assertEquals(100, h.written.get(f).bytes.size(), "NEEDS_CSUM from the guest's kernel: taken");
    }

    @Test
    void aSmallRequestsAckWaitsForTheReplyToCarryIt() throws Exception {
        TcpFlow f = open(502);
        h.engine.beginBurst();
        h.send(segment(REMOTE, 40000, 80, G_ISN + 1, ISN + 1, ACK | PSH, 502, 0, -1, bytes(1, 21)));
        h.engine.endBurst();
        assertEquals(1, h.written.get(f).bytes.size(), "the request is written to the host at once");
        assertEquals(0, h.drain().size(), "RFC 9293 3.8.6.3: the ACK of one small segment may wait");
        h.hostData(f, bytes(1, 22));
        List<NatHarness.Out> out = h.drain();
        assertEquals(1, out.size(), "the reply carries the ACK: no pure ACK before it");
        assertEquals(G_ISN + 2, out.get(0).tcp().ack());
        assertEquals(1, out.get(0).tcp().dataLength());
        h.advance(TcpFlow.DELAYED_ACK_MS + 1);
        assertEquals(0, h.drain().size(), "nothing is owed once the reply acknowledged the request");
    }

    @Test
    void aDelayedAckGoesOutWithinItsTimeWhenTheHostIsSilent() throws Exception {
        open(502);
        for (int i = 0; i < 3; i++) { // three bursts of one byte: the first one's time is not extended
            h.engine.beginBurst();
            h.send(segment(REMOTE, 40000, 80, G_ISN + 1 + i, ISN + 1, ACK | PSH, 502, 0, -1, bytes(1, 23)));
            h.engine.endBurst();
            assertEquals(0, h.drain().size());
            h.advance(TcpFlow.DELAYED_ACK_MS / 3);
        }
        h.advance(TcpFlow.DELAYED_ACK_MS);
        List<NatHarness.Out> out = h.drain();
        assertEquals(1, out.size(), "one ACK, within the delay of the first byte held");
        assertEquals(G_ISN + 4, out.get(0).tcp().ack());
        assertEquals(0, out.get(0).tcp().dataLength());
        h.engine.beginBurst();
        for (int i = 0; i < 2; i++) { // two full-sized segments: acknowledged at the burst's end (RFC 5681 4.2)
            h.send(segment(REMOTE, 40000, 80, G_ISN + 4 + i * 1460, ISN + 1, ACK, 502, 0, -1, bytes(1460, i)));
        }
        h.engine.endBurst();
        out = h.drain();
        assertEquals(1, out.size());
        assertEquals(G_ISN + 4 + 2 * 1460, out.get(0).tcp().ack());
    }

    @Test
    void inABurstAGapIsAcknowledgedAtOnceAndAQuarterBufferForcesAnAck() throws Exception {
        open(502);
        h.engine.beginBurst();
        h.send(segment(REMOTE, 40000, 80, G_ISN + 1 + 1460, ISN + 1, ACK, 502, 0, -1, bytes(1460, 12)));
        List<NatHarness.Out> dup = h.drain();
        assertEquals(1, dup.size(), "RFC 5681 4.2: an out-of-order segment gets its duplicate ACK at once");
        assertEquals(G_ISN + 1, dup.get(0).tcp().ack());
        int seq = G_ISN + 1;
        int sent = 0;
        while (sent < TcpFlow.BUFFER / 4) {
            h.send(segment(REMOTE, 40000, 80, seq, ISN + 1, ACK, 502, 0, -1, bytes(1460, sent)));
            seq += 1460;
            sent += 1460;
        }
        List<NatHarness.Out> acks = h.drain();
        assertEquals(1, acks.size(), "a quarter of the buffer unacknowledged is acknowledged inside the burst");
        assertEquals(seq, acks.get(0).tcp().ack());
        h.engine.endBurst();
        assertEquals(0, h.drain().size(), "nothing is owed at the end");
    }

    @Test
    void aConnectThatCompletesAtOnceAnswersTheSynAtOnce() throws Exception {
        h.connectsAtOnce = true;
        h.send(segment(REMOTE, 40000, 80, G_ISN, 0, SYN, 64240, 1460, 7, new byte[0]));
        List<NatHarness.Out> out = h.drain();
        assertEquals(1, out.size(), "the SYN-ACK goes out with no hostConnected report");
        assertEquals(SYN | ACK, out.get(0).tcp().flags());
        assertEquals(G_ISN + 1, out.get(0).tcp().ack());
        assertTrue(h.readInterest, "the flow reads its socket from the start");
    }
}
