package org.qemu.helpers.slirpdhcp.dbus;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.slirpdhcp.Main;
import org.qemu.helpers.slirpdhcp.engine.DhcpCodec;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessage;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessageType;
import org.qemu.helpers.slirpdhcp.engine.DhcpOption;
import org.qemu.helpers.slirpdhcp.engine.DhcpOptions;
import org.qemu.helpers.slirpdhcp.engine.Ip4;

/**
 * A guest that takes and releases leases as fast as it can (load.sh 60 64: 100 a second, 1.3 MB of log a minute)
 * must not fill the disk through the helper's lease lines: 400 relayed DISCOVER/REQUEST/RELEASE cycles against the
 * real helper write at most the audit limit's lease-added lines (50 at once, 10 a second), and the line after a
 * silence says how many were left out.
 */
class LeaseLogBoundTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @Test
    void aDhcpFloodWritesBoundedLeaseLines() throws Exception {
        HelperProcess helper = BUS.startHelper(Main.class, "--udp-bind", "127.0.0.1", "--dhcp-port", "0",
                "--dns-port", String.valueOf(SlirpDhcpOnBusTest.freePort()), "--upstream", "127.0.0.1:9")
                .awaitReady(Duration.ofSeconds(30));
        Matcher port = Pattern.compile("listening dhcp=[0-9.]+:([0-9]+)").matcher(helper.output());
        assertTrue(port.find(), helper.output());
        int dhcpPort = Integer.parseInt(port.group(1));
        InetAddress lo = InetAddress.getLoopbackAddress();
        int cycles = 400;
        long t0 = System.nanoTime();
        try (DatagramSocket relay = new DatagramSocket(new InetSocketAddress(lo, 0))) {
            relay.setSoTimeout(3000);
            for (int n = 0; n < cycles; n++) {
                byte[] mac = {0x52, 0x54, 0x00, 0x4c, 0x4c, (byte) (n % 8)};
                DhcpMessage offer = exchange(relay, dhcpPort, request(DhcpMessageType.DISCOVER, n, mac, 0,
                        new DhcpOptions()));
                int server = offer.options().ip(DhcpOption.SERVER_ID).orElseThrow();
                DhcpMessage ack = exchange(relay, dhcpPort, request(DhcpMessageType.REQUEST, n, mac, 0,
                        new DhcpOptions().putIp(DhcpOption.REQUESTED_IP, offer.yiaddr())
                                .putIp(DhcpOption.SERVER_ID, server)));
                assertTrue(ack.type() == DhcpMessageType.ACK, "cycle " + n + ": " + ack.type());
                send(relay, dhcpPort, request(DhcpMessageType.RELEASE, n, mac, ack.yiaddr(),
                        new DhcpOptions().putIp(DhcpOption.SERVER_ID, server)));
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Thread.sleep(500); // the last lease events are logged off the DHCP thread
        String out = helper.output();
        long added = out.lines().filter(l -> l.contains(" lease-added ")).count();
        long allowed = 50 + (long) Math.ceil(10 * (seconds + 1));
        assertTrue(added <= allowed && added < cycles, cycles + " leases in " + seconds + " s wrote " + added
                + " lease-added lines (allowed " + allowed + ")");
        assertTrue(out.contains("suppressed_before="), "no line says how many were left out");
        helper.stop();
    }

    private static DhcpMessage request(DhcpMessageType type, int xid, byte[] mac, int ciaddr, DhcpOptions o) {
        o.putU8(DhcpOption.MESSAGE_TYPE, type.code());
        return new DhcpMessage(DhcpMessage.BOOTREQUEST, 1, 1, xid, 0, 0, ciaddr, 0, 0,
                Ip4.of(InetAddress.getLoopbackAddress()), mac, o);
    }

    private static void send(DatagramSocket s, int port, DhcpMessage m) throws Exception {
        byte[] b = DhcpCodec.encode(m, DhcpCodec.MAX_MESSAGE);
        s.send(new DatagramPacket(b, b.length, InetAddress.getLoopbackAddress(), port));
    }

    /** Sends {@code m} (a relay's datagram) and returns the reply of its transaction. */
    private static DhcpMessage exchange(DatagramSocket s, int port, DhcpMessage m) throws Exception {
        send(s, port, m);
        DatagramPacket p = new DatagramPacket(new byte[1500], 1500);
        while (true) {
            s.receive(p);
            DhcpMessage r = DhcpCodec.decode(Arrays.copyOf(p.getData(), p.getLength()));
            if (r.xid() == m.xid()) {
                return r;
            }
        }
    }
}
