package org.qemu.helpers.slirpdhcp.transport;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.qemu.helpers.common.testing.Tools;

/** A real dnsmasq on a loopback address, as the upstream resolver of the helper (DNS only, no DHCP). */
public final class Dnsmasq implements AutoCloseable {
    public final String address;
    public final int port;
    private final Process process;

    private Dnsmasq(String address, int port, Process process) {
        this.address = address;
        this.port = port;
        this.process = process;
    }

    /**
     * Starts dnsmasq answering {@code name=ip} pairs, e.g. "/upstream.test/192.0.2.55". The port is probed free for
     * UDP only and released before dnsmasq binds it (UDP and TCP), so another process can take it in between: a
     * start that fails with "Address already in use" is retried on a new port, up to five times.
     */
    public static Dnsmasq start(String address, Path dir, String... addressRules) throws IOException, InterruptedException {
        Tools.require("dnsmasq", "dnsmasq-base");
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce(address, dir, addressRules);
            } catch (PortTaken e) {
                if (attempt == 5) {
                    throw new IOException("dnsmasq: five ports taken in a row, last: " + e.getMessage(), e);
                }
            }
        }
    }

    /** dnsmasq exited because its port was taken between the probe and its bind. */
    private static final class PortTaken extends IOException {
        PortTaken(String message) {
            super(message);
        }
    }

    private static Dnsmasq startOnce(String address, Path dir, String... addressRules)
            throws IOException, InterruptedException {
        int port = freeUdpPort(address);
        List<String> cmd = new ArrayList<>(List.of("timeout", "600", "dnsmasq", "--keep-in-foreground",
                "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--bind-interfaces",
                "--listen-address=" + address, "--port=" + port, "--pid-file=", "--user=root", "--group=root",
                "--local-ttl=300", "--log-queries", "--log-facility=" + dir.resolve("dnsmasq-" + port + ".log")));
        for (String r : addressRules) {
            cmd.add("--address=" + r);
        }
        Path out = dir.resolve("dnsmasq-" + port + ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        Dnsmasq d = new Dnsmasq(address, port, p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                String said = java.nio.file.Files.readString(out);
                if (said.contains("Address already in use")) {
                    throw new PortTaken(address + ":" + port + ": " + said.strip());
                }
                throw new IOException("dnsmasq exited: " + said);
            }
            org.xbill.DNS.SimpleResolver probe = new org.xbill.DNS.SimpleResolver(
                    new InetSocketAddress(InetAddress.getByName(address), port));
            probe.setTimeout(java.time.Duration.ofMillis(200));
            try {
                probe.send(org.xbill.DNS.Message.newQuery(org.xbill.DNS.Record.newRecord(
                        org.xbill.DNS.Name.fromString("probe.invalid."), org.xbill.DNS.Type.A, org.xbill.DNS.DClass.IN)));
                return d;
            } catch (IOException e) {
                Thread.sleep(50); // not answering yet
            }
        }
        d.close();
        throw new IOException("dnsmasq did not bind " + address + ":" + port);
    }

    static int freeUdpPort(String address) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(address), 0))) {
            return s.getLocalPort();
        }
    }

    public String upstream() {
        return address + ":" + port;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
