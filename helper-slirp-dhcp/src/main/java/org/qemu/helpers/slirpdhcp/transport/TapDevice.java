package org.qemu.helpers.slirpdhcp.transport;

import org.qemu.helpers.common.log.EventLog;
import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.slirpdhcp.engine.frame.GuestPort;

/**
 * A tap device inside a Linux network namespace as the guest, as slirp4netns does: the namespace's own stack (and
 * whatever runs there: udhcpc, curl, iperf3, a rootless container) is the guest's side of the link.
 *
 * <p>setns(2) changes the network namespace of the calling thread only, and a tap device belongs to the namespace
 * its TUNSETIFF ran in, so a short-lived thread enters the namespace, opens /dev/net/tun, creates the device
 * (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR: Ethernet frames behind a virtio-net header, with checksum and TCP
 * segmentation offload, TUNSETOFFLOAD), sets its MTU and brings it up with an AF_INET socket of that
 * namespace (SIOCSIFMTU, SIOCSIFFLAGS), and ends; the descriptor keeps the device and works from any thread.
 * Addresses and routes are left to the guest's DHCP client (udhcpc, dhclient), which gets 10.0.2.15/24, router
 * 10.0.2.2 and DNS 10.0.2.3 from this helper, where slirp4netns --configure would set 10.0.2.100 itself.
 */
public final class TapDevice {
    private static final int IFNAMSIZ = 16;

    private TapDevice() {
    }

    /** {@code netns}: a path (/run/netns/NAME, /proc/PID/ns/net) or a PID. */
    public static Path namespacePath(String netns) {
        return netns.matches("[0-9]+") ? Path.of("/proc", netns, "ns", "net") : Path.of(netns);
    }

    /** Problem with a tap name, or null: 1..15 bytes, no '/', no whitespace (the kernel's dev_valid_name). */
    public static String nameProblem(String name) {
        int n = name.getBytes(StandardCharsets.UTF_8).length;
        if (n == 0 || n >= IFNAMSIZ || name.contains("/") || name.matches(".*\\s.*") || name.equals(".")
                || name.equals("..")) {
            return "'" + name + "' is not an interface name (1-15 bytes, no '/' or whitespace)";
        }
        return null;
    }

    public static PacketFrontEnd open(String netns, String name, int mtu, GuestPort link, Statistics stats,
                                      EventLog log, EventLoop loop) throws IOException {
        Path ns = namespacePath(netns);
        CompletableFuture<Integer> fd = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                fd.complete(create(ns, name, mtu));
            } catch (IOException | RuntimeException e) {
                fd.completeExceptionally(e);
            }
        }, "tap-open"); // ends after the open: its namespace changes nothing else in the process
        t.setDaemon(true);
        t.start();
        try {
            int f = fd.get();
            log.info("tap_opened", "netns", ns, "tap", name, "mtu", mtu);
            return new PacketFrontEnd(f, PacketIo.TAP, true, "tap " + name + " netns " + ns, link, stats, log,
                    loop);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause().toString(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted opening the tap device", e);
        }
    }

    private static int create(Path ns, String name, int mtu) throws IOException {
        int nsFd = Posix.open(ns.toString(), Posix.O_RDONLY | Posix.O_CLOEXEC);
        if (nsFd < 0) {
            throw new IOException("cannot open network namespace " + ns + ": " + Posix.lastError());
        }
        int r = Posix.setns(nsFd, Posix.CLONE_NEWNET);
        String setnsError = r != 0 ? Posix.lastError() : null;
        Posix.close(nsFd);
        if (setnsError != null) {
            throw new IOException("cannot enter network namespace " + ns + " (not a netns file, or no CAP_SYS_ADMIN"
                    + " over it): " + setnsError);
        }
        int tun = Posix.open("/dev/net/tun", Posix.O_RDWR | Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        if (tun < 0) {
            throw new IOException("cannot open /dev/net/tun: " + Posix.lastError());
        }
        try (Memory ifr = ifreq(name)) {
            ifr.setShort(IFNAMSIZ, (short) (Posix.IFF_TAP | Posix.IFF_NO_PI | Posix.IFF_VNET_HDR));
            if (Posix.ioctl(tun, Posix.TUNSETIFF, ifr) != 0) {
                throw new IOException("cannot create tap " + name + " in " + ns + " (TUNSETIFF): " + Posix.lastError());
            }
            // the namespace's stack may then leave TCP/UDP checksums to us and send TCP in 64 KiB segments, and
            // takes ours that way (PacketFrontEnd's virtio-net header): what a virtio NIC with csum and TSO does
            if (Posix.ioctl(tun, Posix.TUNSETOFFLOAD, new com.sun.jna.Pointer(Posix.TUN_F_CSUM | Posix.TUN_F_TSO4))
                    != 0) {
                throw new IOException("cannot set offloads on tap " + name + " (TUNSETOFFLOAD): " + Posix.lastError());
            }
            configure(name, mtu, ns);
            return tun;
        } catch (IOException | RuntimeException e) {
            Posix.close(tun);
            throw e;
        }
    }

    private static void configure(String name, int mtu, Path ns) throws IOException {
        int s = Posix.socket(Posix.AF_INET, Posix.SOCK_DGRAM | Posix.SOCK_CLOEXEC, 0);
        if (s < 0) {
            throw new IOException("socket(AF_INET) in " + ns + ": " + Posix.lastError());
        }
        try (Memory ifr = ifreq(name)) {
            ifr.setInt(IFNAMSIZ, mtu);
            if (Posix.ioctl(s, Posix.SIOCSIFMTU, ifr) != 0) {
                throw new IOException("cannot set MTU " + mtu + " on " + name + ": " + Posix.lastError());
            }
            if (Posix.ioctl(s, Posix.SIOCGIFFLAGS, ifr) != 0) {
                throw new IOException("cannot read the flags of " + name + ": " + Posix.lastError());
            }
            ifr.setShort(IFNAMSIZ, (short) (ifr.getShort(IFNAMSIZ) | Posix.IFF_UP));
            if (Posix.ioctl(s, Posix.SIOCSIFFLAGS, ifr) != 0) {
                throw new IOException("cannot bring " + name + " up: " + Posix.lastError());
            }
        } finally {
            Posix.close(s);
        }
    }

    private static Memory ifreq(String name) {
        Memory ifr = new Memory(Posix.IFREQ_SIZE);
        ifr.clear();
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ifr.write(0, n, 0, n.length);
        return ifr;
    }
}
