package org.qemu.helpers.slirpdhcp.transport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Tools;

/**
 * Two network namespaces joined by a veth pair: the helper's ("srv", addresses 10.0.2.2 and 10.0.2.3) and the
 * client's ("cli", no address until DHCP gives one). Names are unique per JVM; {@link #close()} deletes both,
 * which also removes the veth pair, and kills every process started here.
 */
final class Netns implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();
    final String srv;
    final String cli;
    final String srvIf;
    final String cliIf;
    private final List<Process> processes = new ArrayList<>();

    private Netns(String tag) {
        this.srv = tag + "s";
        this.cli = tag + "c";
        this.srvIf = "vs" + tag.substring(2);
        this.cliIf = "vc" + tag.substring(2);
    }

    static Netns create(String clientMac) throws IOException, InterruptedException {
        Tools.require("ip", "iproute2");
        Netns n = new Netns("sd" + (ProcessHandle.current().pid() % 100000) + "x" + SEQ.incrementAndGet());
        try {
            n.sh("ip", "netns", "add", n.srv);
            n.sh("ip", "netns", "add", n.cli);
            n.sh("ip", "link", "add", n.srvIf, "netns", n.srv, "type", "veth", "peer", "name", n.cliIf, "netns", n.cli);
            n.in(n.srv, "ip", "link", "set", "lo", "up");
            n.in(n.cli, "ip", "link", "set", "lo", "up");
            n.in(n.srv, "ip", "addr", "add", "10.0.2.2/24", "dev", n.srvIf);
            n.in(n.srv, "ip", "addr", "add", "10.0.2.3/24", "dev", n.srvIf);
            n.in(n.srv, "ip", "link", "set", n.srvIf, "up");
            if (clientMac != null) {
                n.in(n.cli, "ip", "link", "set", n.cliIf, "address", clientMac);
            }
            n.in(n.cli, "ip", "link", "set", n.cliIf, "up");
            return n;
        } catch (IOException | RuntimeException e) {
            n.close();
            throw e;
        }
    }

    ProcResult sh(String... cmd) throws IOException, InterruptedException {
        ProcResult r = Commands.run(Duration.ofSeconds(20), List.of(cmd));
        if (!r.ok()) {
            throw new IOException(String.join(" ", cmd) + " failed: " + r);
        }
        return r;
    }

    ProcResult in(String ns, String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(Arrays.asList(cmd));
        return sh(c.toArray(String[]::new));
    }

    /** Runs a command in a namespace without failing on a non-zero exit. */
    ProcResult tryIn(String ns, Duration timeout, String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(Arrays.asList(cmd));
        return Commands.run(timeout, c);
    }

    /** Starts a long-running process in a namespace, output to {@code log}; killed on close. */
    Process spawn(String ns, Path log, String... cmd) throws IOException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(Arrays.asList(cmd));
        Process p = new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        synchronized (processes) {
            processes.add(p);
        }
        return p;
    }

    /** Starts the helper's core (TestServerMain) in the server namespace and waits for "ready". */
    Process startServer(Path log, String... args) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> c = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), TestServerMain.class.getName()));
        c.addAll(Arrays.asList(args));
        Process p = spawn(srv, log, c.toArray(String[]::new));
        awaitLine(log, p, "ready", Duration.ofSeconds(30));
        return p;
    }

    static void awaitLine(Path log, Process p, String text, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return;
            }
            if (p != null && !p.isAlive()) {
                throw new IOException("process exited before '" + text + "': " + Files.readString(log));
            }
            Thread.sleep(50);
        }
        throw new IOException("no '" + text + "' within " + timeout + ": "
                + (Files.exists(log) ? Files.readString(log) : "(no output)"));
    }

    static void kill9(Process p) throws InterruptedException {
        // ip netns exec execs the command, so the process is the JVM itself
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        synchronized (processes) {
            for (Process p : processes) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        for (String ns : List.of(srv, cli)) {
            try {
                // processes left in the namespace (dhclient daemons) would keep it alive
                ProcResult pids = Commands.run(Duration.ofSeconds(10), List.of("ip", "netns", "pids", ns));
                for (String pid : pids.stdout().split("\\s+")) {
                    if (!pid.isBlank()) {
                        ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
                Commands.run(Duration.ofSeconds(10), List.of("ip", "netns", "del", ns));
            } catch (IOException | InterruptedException | NumberFormatException e) {
                // best effort
            }
        }
    }
}
