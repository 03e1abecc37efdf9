package org.qemu.helpers.slirpdhcp.transport;

import com.sun.jna.Memory;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.qemu.helpers.slirpdhcp.Settings;
import org.qemu.helpers.slirpdhcp.SlirpCore;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.frame.Frames;
import org.qemu.helpers.common.log.EventLog;

/**
 * bench/frontends.sh: frame round trips per second through each socket front end, one JVM, one frame in flight
 * (an ARP request for the gateway, answered by the link): the cost of the front end itself, since the link's
 * work is the same for all. The existing -netdev stream server is the baseline column. Not a test.
 */
public final class FrontEndBench {
    private FrontEndBench() {
    }

    interface Peer {
        void send(byte[] frame) throws Exception;

        void receive() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Path dir = Files.createTempDirectory("febench");
        byte[] arp = Frames.ethernetFrame(Mac.BROADCAST, SocketsHostileAndNetdevTest.GUEST, Frames.TYPE_ARP,
                Frames.arpPacket(1, SocketsHostileAndNetdevTest.GUEST, 0x0a00020f, new Mac(0), 0x0a000202));
        for (int round = 0; round < 2; round++) {
            for (String kind : List.of("netdev-socket", "netdev-dgram", "fd-dgram", "fd-stream")) {
                run(kind, dir, arp, seconds, round);
            }
        }
    }

    static void run(String kind, Path dir, byte[] arp, int seconds, int round) throws Exception {
        Path sock = dir.resolve(kind + ".sock");
        int[] sv = new int[2];
        Settings.Guest g = switch (kind) {
            case "netdev-socket" -> new Settings.Guest.NetdevStream(sock);
            case "netdev-dgram" -> new Settings.Guest.NetdevDgram(sock);
            default -> {
                Posix.socketpair(Posix.AF_UNIX, (kind.equals("fd-dgram") ? Posix.SOCK_DGRAM : Posix.SOCK_STREAM)
                        | Posix.SOCK_CLOEXEC, 0, sv);
                yield new Settings.Guest.InheritedFd(sv[1]);
            }
        };
        try (SlirpCore core = SlirpCore.start(new Settings(NetworkConfig.slirpDefaults("vm.internal"), null, g, null,
                0, 0, List.of(), Duration.ofMillis(500)), EventLog.NONE)) {
            Peer p = peer(kind, sock, dir, sv[0]);
            long end = System.nanoTime() + 1_000_000_000L; // warm-up
            while (System.nanoTime() < end) {
                p.send(arp);
                p.receive();
            }
            long cpu0 = cpu();
            long t0 = System.nanoTime();
            end = t0 + seconds * 1_000_000_000L;
            long n = 0;
            while (System.nanoTime() < end) {
                p.send(arp);
                p.receive();
                n++;
            }
            double s = (System.nanoTime() - t0) / 1e9;
            double cpuUs = (cpu() - cpu0) / 1e3 / n;
            System.out.printf("round %d %-14s %9.0f round trips/s  %5.1f us CPU per round trip (both sides)%n",
                    round + 1, kind, n / s, cpuUs);
        } finally {
            if (sv[0] > 0) {
                Posix.close(sv[0]);
            }
        }
    }

    static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    static Peer peer(String kind, Path sock, Path dir, int fd) throws Exception {
        Memory buf = new Memory(Frames.MAX_FRAME + 4);
        if (kind.equals("netdev-socket")) {
            SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
            c.connect(UnixDomainSocketAddress.of(sock));
            return new Peer() {
                public void send(byte[] f) throws Exception {
                    SocketsHostileAndNetdevTest.writeFrame(c, f);
                }

                public void receive() throws Exception {
                    SocketsHostileAndNetdevTest.readFrame(c);
                }
            };
        }
        int s;
        Memory to = null;
        int toLen = 0;
        if (kind.equals("netdev-dgram")) {
            Path me = dir.resolve("peer-" + System.nanoTime());
            s = Posix.socket(Posix.AF_UNIX, Posix.SOCK_DGRAM | Posix.SOCK_CLOEXEC, 0);
            Posix.bind(s, Posix.unixAddress(me.toString()), Posix.unixAddressLength(me.toString()));
            to = Posix.unixAddress(sock.toString());
            toLen = Posix.unixAddressLength(sock.toString());
        } else {
            s = fd;
        }
        boolean stream = kind.equals("fd-stream");
        Memory dst = to;
        int dstLen = toLen;
        return new Peer() {
            public void send(byte[] f) {
                int off = stream ? 4 : 0;
                if (stream) {
                    buf.setByte(0, (byte) 0);
                    buf.setByte(1, (byte) 0);
                    buf.setByte(2, (byte) (f.length >> 8));
                    buf.setByte(3, (byte) f.length);
                }
                buf.write(off, f, 0, f.length);
                if (dst != null) {
                    Posix.sendto(s, buf, f.length, 0, dst, dstLen);
                } else {
                    Posix.send(s, buf, off + f.length, 0);
                }
            }

            public void receive() {
                long want = stream ? 4 + 42 : 1;
                long got = 0;
                do {
                    long r = Posix.recv(s, buf.share(got), Frames.MAX_FRAME, 0);
                    if (r <= 0) {
                        throw new IllegalStateException("peer recv " + r + " " + Posix.lastError());
                    }
                    got += r;
                } while (got < want);
            }
        };
    }
}
