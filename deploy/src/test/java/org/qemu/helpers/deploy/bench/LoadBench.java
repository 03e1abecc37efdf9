package org.qemu.helpers.deploy.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.messages.Message;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.slirpdhcp.engine.DhcpCodec;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessage;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessageType;
import org.qemu.helpers.slirpdhcp.engine.DhcpOption;
import org.qemu.helpers.slirpdhcp.engine.DhcpOptions;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.MalformedException;
import org.qemu.helpers.slirpdhcp.qemu.LinuxGuest;

/**
 * Load and faults, as figures (issue 11 item 5): the four helpers on one private bus with a QEMU on its D-Bus
 * display, 64 D-Bus clients calling what each helper allows (reads and writes) for the given seconds beside the
 * data paths (DNS queries and DHCP lease cycles to slirp-dhcp, TPM commands through tpm2-tools, compression jobs,
 * a running guest's display updates reaching the ui client, screenshots of it), while a peer of another UID floods
 * calls it is denied. Then each helper is killed with SIGKILL under
 * load and restarted as systemd would (same command): what it acknowledged before must still be there, and the
 * clients must get answers again. Last the bus daemon is killed: every helper must exit 4 within a second.
 * A benchmark, not a test: run by deploy/bench/load.sh, which prints the figures README's Reliability table holds.
 * Only loopback: DNS forwarding is off (no upstream), DHCP is the helper's UDP front end on 127.0.0.1 (a relay's
 * datagrams), QEMU has no NIC. The guest is the tests' busybox Linux guest (Debian's kernel, TCG) writing a line
 * to its VGA console every 50 ms, so QEMU sends the ui client display updates all through the run.
 */
public final class LoadBench {
    private static final String SLIRP = "org.qemu.SlirpDhcp1";
    private static final String TPM = "org.qemu.TpmStub1";
    private static final String COMPRESS = "org.qemu.Compress1";
    private static final String UI = "org.qemu.UiClient1";
    private static final String HELPER1 = "org.qemu.Helper1";
    private static final String PROPS = "org.freedesktop.DBus.Properties";
    private static final long NOBODY = 65534;
    private static final String DNS_NAME = "load-dns.vm.internal";
    private static final String DHCP = "data: DHCP lease (DISCOVER..ACK, RELEASE)";
    /** The guest's /test.sh: a line on the VGA console (tty1) every 50 ms, for ever (the run kills QEMU). */
    private static final String GUEST_SCRIPT = "echo LOAD-GUEST-DRAWING\n"
            + "i=0\nwhile true; do i=$((i+1)); echo \"load guest line $i $(cat /proc/uptime)\" > /dev/tty1;"
            + " usleep 50000; done\n";

    /** Latencies (microseconds) and errors per call kind. */
    static final class Stats {
        final Map<String, List<Long>> micros = new ConcurrentHashMap<>();
        final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
        final Map<String, String> lastError = new ConcurrentHashMap<>();

        void ok(String kind, long us) {
            List<Long> l = micros.computeIfAbsent(kind, k -> java.util.Collections.synchronizedList(new ArrayList<>()));
            l.add(us);
        }

        void error(String kind, String what) {
            errors.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
            lastError.put(kind, what);
        }
    }

    private final Path dir;
    /** With the limits BusConfig ships for a VM's bus, so the bench shows what a deployed bus does. */
    private final PrivateBus bus = new PrivateBus(org.qemu.helpers.deploy.BusConfig.limits());
    private final Map<String, Helper> helpers = new LinkedHashMap<>();
    private final int dnsPort;
    private final int dhcpPort;
    private final int tpmPort;
    private Process qemu;

    /** One helper process with the command that starts it again, its log appended across restarts. */
    record Helper(String name, String busName, List<String> command, Path log, Process[] process) {
        Process start() throws IOException {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            process[0] = pb.start();
            return process[0];
        }
    }

    LoadBench(Path dir) throws IOException {
        this.dir = dir;
        this.dnsPort = freePort();
        this.dhcpPort = freePort();
        this.tpmPort = freePort();
    }

    private static int freePort() throws IOException {
        try (java.net.DatagramSocket d = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            return d.getLocalPort();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length >= 1 && args[0].equals("--flood")) {
            FloodMode mode = FloodMode.parse(args.length > 3 ? args[3] : "wait");
            if (mode.kind() == FloodMode.Kind.WAIT) {
                flood(args[1], Integer.parseInt(args[2]));
            } else {
                PipelinedFlood.run(args[1], Integer.parseInt(args[2]), mode);
            }
            return;
        }
        Path jars = Path.of(args[0]);
        int seconds = Integer.parseInt(args[1]);
        int clients = Integer.parseInt(args[2]);
        int dhcpPerSecond = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        // the flood's mode: absent = the original flood (one call at a time), output as before; given (even "wait"),
        // the helpers' queues are also sampled half way through (QueueProbe)
        Optional<FloodMode> floodMode = args.length > 4 && !args[4].isEmpty() ? Optional.of(FloodMode.parse(args[4]))
                : Optional.empty();
        Path dir = Files.createTempDirectory("qdh-load");
        LoadBench b = new LoadBench(dir);
        try {
            b.run(jars, seconds, clients, dhcpPerSecond, floodMode);
        } finally {
            b.stopAll();
        }
    }

    private void run(Path jars, int seconds, int clients, int dhcpPerSecond, Optional<FloodMode> floodMode)
            throws Exception {
        bus.start();
        Path policy = dir.resolve("policy.json");
        Files.writeString(policy, "{\"default\": \"untrusted\", \"rules\": [{\"uid\": 0, \"level\": \"admin\"}]}");
        Files.createDirectories(dir.resolve("root"));
        Files.write(dir.resolve("root/input"), randomish(4 << 20));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> jvm = org.qemu.helpers.common.testing.HelperProcess.JVM_FLAGS;
        add("slirp-dhcp", SLIRP, jars, java, jvm, "--udp-bind=127.0.0.1", "--dhcp-port=" + dhcpPort,
                "--dns-port=" + dnsPort, "--policy=" + policy, "--state-dir=" + dir.resolve("state/slirp"));
        add("tpm-stub", TPM, jars, java, jvm, "--server=tcp:127.0.0.1:" + tpmPort,
                "--ctrl=tcp:127.0.0.1:" + (tpmPort + 1), "--policy=" + policy, "--state-dir=" + dir.resolve("state/tpm"));
        add("compress", COMPRESS, jars, java, jvm, "--root=" + dir.resolve("root"), "--policy=" + policy,
                "--state-dir=" + dir.resolve("state/compress"));
        // the web console's /stats endpoint (off by default) counts the display updates QEMU sent the ui client
        List<String> uiJvm = new ArrayList<>(jvm);
        uiJvm.add("-Dorg.qemu.helpers.uiclient.webBench=true");
        add("ui-client", UI, jars, java, uiJvm, "--web=127.0.0.1:0", "--policy=" + policy,
                "--state-dir=" + dir.resolve("state/ui"));
        for (Helper h : helpers.values()) {
            h.start();
        }
        Path initrd = LinuxGuest.initrd(dir, "load-guest", GUEST_SCRIPT);
        Path serial = dir.resolve("guest-serial.txt");
        long bootStart = System.nanoTime();
        qemu = new ProcessBuilder("qemu-system-x86_64", "-machine", "pc,accel=tcg", "-m", "256", "-nodefaults",
                "-vga", "std", "-display", "dbus,addr=" + bus.qemuAddress() + ",gl=off", "-monitor", "none",
                "-serial", "file:" + serial, "-kernel", LinuxGuest.kernel().toString(), "-initrd", initrd.toString(),
                "-append", "console=ttyS0 quiet panic=-1 guest_checks=off").redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.log").toFile()).start();
        try (DBusConnection c = connect()) {
            for (Helper h : helpers.values()) {
                awaitReady(c, h, Duration.ofSeconds(60));
            }
        }
        try (DBusConnection c = connect()) {
            // what the data paths use: a started TPM (as QEMU's firmware would), a name for DNS to answer
            exec("tpm2_startup", "-c", "-T", "swtpm:host=127.0.0.1,port=" + tpmPort);
            call(c, SLIRP, "/org/qemu/SlirpDhcp1", SLIRP, "AddHostRecord", "ss", DNS_NAME, "10.0.2.88");
        }
        long bootEnd = System.nanoTime() + 180_000_000_000L;
        while (!(Files.exists(serial) && Files.readString(serial).contains("LOAD-GUEST-DRAWING"))) {
            if (System.nanoTime() > bootEnd || !qemu.isAlive()) {
                throw new IllegalStateException("the guest did not start drawing in 180 s; see " + serial);
            }
            Thread.sleep(200);
        }
        long bootMs = (System.nanoTime() - bootStart) / 1_000_000;
        Thread.sleep(2000); // the ui client sees the console's first updates
        long[] displayBefore = displayCounters();
        System.out.printf("load: 4 helpers ready, the guest draws on the display (booted in %d ms); %d clients for %d s,"
                + " a flood from uid %d; DHCP %s; load average %s%n", bootMs, clients, seconds, NOBODY,
                dhcpPerSecond > 0 ? "at most " + dhcpPerSecond + " leases/s" : "cycles back to back", loadAverage());
        floodMode.ifPresent(m -> System.out.println("flood mode: " + m.describe()));
        Stats stats = new Stats();
        Map<String, Long> logBefore = logSizes();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            threads.add(startThread("client-" + i, () -> client(stats, running)));
        }
        threads.add(startThread("dns", () -> dnsPath(stats, running)));
        threads.add(startThread("dhcp", () -> dhcpPath(stats, running, dhcpPerSecond)));
        threads.add(startThread("tpm", () -> tpmPath(stats, running)));
        threads.add(startThread("compress", () -> compressPath(stats, running)));
        Process flood = new ProcessBuilder("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                java, "-cp", System.getProperty("java.class.path"), LoadBench.class.getName(), "--flood",
                bus.address(), String.valueOf(seconds), floodMode.map(FloodMode::spec).orElse("wait"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("flood.log").toFile()).start();
        if (floodMode.isPresent()) {
            Thread.sleep(seconds * 500L);
            List<String> probes = new ArrayList<>();
            for (Helper h : helpers.values()) {
                probes.add(QueueProbe.sample(h.name(), h.process()[0], dir));
            }
            Thread.sleep(seconds * 500L);
            probes.forEach(System.out::println);
        } else {
            Thread.sleep(seconds * 1000L);
        }
        running.set(false);
        for (Thread t : threads) {
            t.join(30_000);
        }
        flood.waitFor();
        long[] displayAfter = displayCounters();
        report("under load", stats, seconds);
        System.out.printf("display: %d updates from the guest's QEMU reached the ui client in %d s (%.1f/s), %d refused"
                + " as malformed; the guest still running: %s%n", displayAfter[0] - displayBefore[0], seconds,
                (displayAfter[0] - displayBefore[0]) / (double) seconds, displayAfter[1] - displayBefore[1],
                qemu.isAlive());
        String floodLine = Files.readString(dir.resolve("flood.log")).strip();
        Map<String, Long> logAfter = logSizes();
        floodLine.lines().filter(l -> l.startsWith(PipelinedFlood.DETAIL)).forEach(System.out::println);
        System.out.printf("flood: %s; helper logs grew by %s bytes%n", floodLine.lines().reduce((a, b2) -> b2)
                .orElse("?"), diff(logBefore, logAfter));
        try {
            faults(clients);
        } catch (Exception e) {
            System.out.println("fault: the phase stopped: " + e.getMessage());
        }
        for (Helper h : helpers.values()) {
            long oom = Files.readAllLines(h.log()).stream().filter(l -> l.contains("OutOfMemoryError")).count();
            if (oom > 0) {
                System.out.printf("helper %s: %d OutOfMemoryError lines in its log%n", h.name(), oom);
            }
        }
        busLoss();
        System.out.println("load: logs in " + dir + "; load average at the end " + loadAverage());
    }

    private void add(String name, String busName, Path jars, String java, List<String> jvm, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvm);
        cmd.add("-jar");
        cmd.add(jars.resolve("helper-" + name + ".jar").toString());
        cmd.add("--bus-address=" + bus.address());
        cmd.addAll(Arrays.asList(args));
        helpers.put(name, new Helper(name, busName, cmd, dir.resolve(name + ".log"), new Process[1]));
    }

    private DBusConnection connect() throws Exception {
        return DBusConnectionBuilder.forAddress(bus.address()).withShared(false).build();
    }

    private static void awaitReady(DBusConnection c, Helper h, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < end) {
            try {
                Object[] r = call(c, h.busName(), "/org/qemu/Helper1", PROPS, "Get", "ss", HELPER1, "Status");
                last = String.valueOf(((Variant<?>) r[0]).getValue());
                if (last.equals("ready") || last.equals("degraded")) {
                    return;
                }
            } catch (IOException e) {
                last = e.getMessage();
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(h.name() + " not ready after " + timeout + ": " + last);
    }

    /** A method call and its reply's arguments; a D-Bus error reply becomes an IOException naming it. */
    static Object[] call(DBusConnection c, String dest, String path, String iface, String member, String sig,
                         Object... args) throws Exception {
        MethodCall m = c.getMessageFactory().createMethodCall(dest, path, iface, member, (byte) 0, sig, args);
        c.sendMessage(m);
        Message reply = m.getReply(20_000);
        if (reply == null) {
            throw new IOException(member + ": no reply in 20 s");
        }
        if (reply.getType() == org.freedesktop.dbus.messages.constants.MessageType.ERROR) {
            Object[] p = reply.getParameters();
            throw new IOException(reply.getName() + ": " + (p.length > 0 ? p[0] : ""));
        }
        return reply.getParameters();
    }

    /** The flood's call against each helper: a member the untrusted level is denied (the gate refuses it first). */
    static MethodCall floodCall(DBusConnection c, String helper, byte flags) throws Exception {
        return switch (helper) {
            case SLIRP -> c.getMessageFactory().createMethodCall(SLIRP, "/org/qemu/SlirpDhcp1", SLIRP, "AddStaticLease",
                    flags, "sss", "52:54:00:66:66:66", "10.0.2.66", "flood");
            case TPM -> c.getMessageFactory().createMethodCall(TPM, "/org/qemu/TpmStub1", TPM, "PcrRead", flags, "su",
                    "sha256", new UInt32(0));
            case COMPRESS -> c.getMessageFactory().createMethodCall(COMPRESS, "/org/qemu/Compress1", COMPRESS,
                    "Compress", flags, "sssa{sv}", "/nonexistent/in", "/nonexistent/out", "zstd",
                    Map.<String, Variant<?>>of());
            case UI -> c.getMessageFactory().createMethodCall(UI, "/org/qemu/UiClient1", UI, "Screenshot", flags, "u",
                    new UInt32(0));
            default -> throw new IllegalArgumentException(helper);
        };
    }

    /** The four helpers' bus names, in the order the flood addresses them. */
    static final List<String> HELPER_NAMES = List.of(SLIRP, TPM, COMPRESS, UI);

    /** One client: its own connection, a random mix of the calls the helpers allow an admin. */
    private void client(Stats stats, AtomicBoolean running) {
        try (DBusConnection c = connect()) {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            while (running.get()) {
                String kind;
                long t0 = System.nanoTime();
                int pick = r.nextInt(100);
                try {
                    if (pick < 20) {
                        kind = "Helper1.Status (Get)";
                        String h = List.of(SLIRP, TPM, COMPRESS, UI).get(r.nextInt(4));
                        call(c, h, "/org/qemu/Helper1", PROPS, "Get", "ss", HELPER1, "Status");
                    } else if (pick < 35) {
                        kind = "SlirpDhcp1.ListLeases";
                        call(c, SLIRP, "/org/qemu/SlirpDhcp1", SLIRP, "ListLeases", "");
                    } else if (pick < 45) {
                        kind = "SlirpDhcp1.AddHostRecord+Remove";
                        String name = "load-" + Thread.currentThread().getName() + ".vm.internal";
                        call(c, SLIRP, "/org/qemu/SlirpDhcp1", SLIRP, "AddHostRecord", "ss", name, "10.0.2.77");
                        call(c, SLIRP, "/org/qemu/SlirpDhcp1", SLIRP, "RemoveHostRecord", "s", name);
                    } else if (pick < 65) {
                        kind = "TpmStub1.PcrRead";
                        call(c, TPM, "/org/qemu/TpmStub1", TPM, "PcrRead", "su", "sha256", new UInt32(r.nextInt(24)));
                    } else if (pick < 75) {
                        kind = "TpmStub1.GetRandom";
                        call(c, TPM, "/org/qemu/TpmStub1", TPM, "GetRandom", "u", new UInt32(32));
                    } else if (pick < 85) {
                        kind = "Compress1 properties (GetAll)";
                        call(c, COMPRESS, "/org/qemu/Compress1", PROPS, "GetAll", "s", COMPRESS);
                    } else if (pick < 95) {
                        kind = "UiClient1 properties (GetAll)";
                        call(c, UI, "/org/qemu/UiClient1", PROPS, "GetAll", "s", UI);
                    } else {
                        kind = "UiClient1.Screenshot";
                        call(c, UI, "/org/qemu/UiClient1", UI, "Screenshot", "u", new UInt32(0));
                    }
                    stats.ok(kind, (System.nanoTime() - t0) / 1000);
                } catch (Exception e) {
                    stats.error("client call", e.getMessage());
                }
            }
        } catch (Exception e) {
            stats.error("client connect", String.valueOf(e));
        }
    }

    /** DNS: A queries for the helper's own names over its UDP socket (the guest's path without the frames). */
    private void dnsPath(Stats stats, AtomicBoolean running) {
        try {
            org.xbill.DNS.SimpleResolver res = new org.xbill.DNS.SimpleResolver(
                    new InetSocketAddress("127.0.0.1", dnsPort));
            res.setTimeout(Duration.ofSeconds(2));
            while (running.get()) {
                long t0 = System.nanoTime();
                try {
                    org.xbill.DNS.Message q = org.xbill.DNS.Message.newQuery(org.xbill.DNS.Record.newRecord(
                            org.xbill.DNS.Name.fromString(DNS_NAME + "."), org.xbill.DNS.Type.A,
                            org.xbill.DNS.DClass.IN));
                    org.xbill.DNS.Message a = res.send(q);
                    if (a.getRcode() != org.xbill.DNS.Rcode.NOERROR || a.getSection(org.xbill.DNS.Section.ANSWER)
                            .isEmpty()) {
                        stats.error("data: DNS query", org.xbill.DNS.Rcode.string(a.getRcode()));
                    } else {
                        stats.ok("data: DNS query", (System.nanoTime() - t0) / 1000);
                    }
                } catch (IOException e) {
                    stats.error("data: DNS query", e.getMessage());
                }
            }
        } catch (Exception e) {
            stats.error("data: DNS query", String.valueOf(e));
        }
    }

    /**
     * DHCP: DISCOVER, REQUEST, RELEASE cycles over the helper's UDP front end as a relay sends them (giaddr = the
     * loopback address, replies to the relay's port, as SocketsHostileAndNetdevTest does), eight client MACs in turn.
     * One lease = OFFER and ACK received; a missing or wrong reply (NAK, timeout) is an error.
     */
    private void dhcpPath(Stats stats, AtomicBoolean running, int perSecond) {
        java.net.InetAddress lo = java.net.InetAddress.getLoopbackAddress();
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(new InetSocketAddress(lo, 0))) {
            s.setSoTimeout(3000);
            int n = 0;
            long start = System.nanoTime();
            while (running.get()) {
                if (perSecond > 0) { // paced: cycle n starts no earlier than n / perSecond seconds in
                    long due = start + n * 1_000_000_000L / perSecond;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
                byte[] mac = {0x52, 0x54, 0x00, 0x4c, 0x44, (byte) (n++ % 8)};
                int xid = ThreadLocalRandom.current().nextInt();
                long t0 = System.nanoTime();
                try {
                    DhcpMessage offer = dhcpExchange(s, dhcpRequest(DhcpMessageType.DISCOVER, xid, mac, 0,
                            new DhcpOptions()), xid, DhcpMessageType.OFFER);
                    int server = offer.options().ip(DhcpOption.SERVER_ID)
                            .orElseThrow(() -> new IOException("OFFER without a server identifier"));
                    DhcpMessage ack = dhcpExchange(s, dhcpRequest(DhcpMessageType.REQUEST, xid, mac, 0,
                            new DhcpOptions().putIp(DhcpOption.REQUESTED_IP, offer.yiaddr())
                                    .putIp(DhcpOption.SERVER_ID, server)), xid, DhcpMessageType.ACK);
                    dhcpSend(s, dhcpRequest(DhcpMessageType.RELEASE, xid, mac, ack.yiaddr(),
                            new DhcpOptions().putIp(DhcpOption.SERVER_ID, server)));
                    stats.ok(DHCP, (System.nanoTime() - t0) / 1000);
                } catch (IOException e) {
                    stats.error(DHCP, e.getMessage());
                }
            }
        } catch (IOException e) {
            stats.error(DHCP, String.valueOf(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static DhcpMessage dhcpRequest(DhcpMessageType type, int xid, byte[] mac, int ciaddr, DhcpOptions o) {
        o.putU8(DhcpOption.MESSAGE_TYPE, type.code());
        return new DhcpMessage(DhcpMessage.BOOTREQUEST, 1, 1, xid, 0, 0, ciaddr, 0, 0,
                Ip4.of(java.net.InetAddress.getLoopbackAddress()), mac, o);
    }

    private void dhcpSend(java.net.DatagramSocket s, DhcpMessage m) throws IOException {
        byte[] b = DhcpCodec.encode(m, DhcpCodec.MAX_MESSAGE);
        s.send(new java.net.DatagramPacket(b, b.length, java.net.InetAddress.getLoopbackAddress(), dhcpPort));
    }

    /** Sends {@code m} and returns the reply of transaction {@code xid}, which must be of type {@code want}. */
    private DhcpMessage dhcpExchange(java.net.DatagramSocket s, DhcpMessage m, int xid, DhcpMessageType want)
            throws IOException {
        dhcpSend(s, m);
        long end = System.nanoTime() + 3_000_000_000L;
        java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[1500], 1500);
        while (System.nanoTime() < end) {
            try {
                s.receive(p);
            } catch (java.net.SocketTimeoutException e) {
                break;
            }
            DhcpMessage r;
            try {
                r = DhcpCodec.decode(java.util.Arrays.copyOf(p.getData(), p.getLength()));
            } catch (MalformedException e) {
                throw new IOException("a malformed reply: " + e.getMessage());
            }
            if (r.xid() != xid) {
                continue; // a late reply of an earlier transaction
            }
            if (r.type() != want) {
                throw new IOException(r.type() + " where " + want + " was due");
            }
            return r;
        }
        throw new IOException("no " + want + " in 3 s");
    }

    /**
     * {QEMU Update messages the ui client's console 0 received, those it refused as malformed}: the web console's
     * /stats (on with -Dorg.qemu.helpers.uiclient.webBench=true; URL from the WebConsole property, the token from
     * STATE_DIR/web-token).
     */
    private long[] displayCounters() throws Exception {
        String url;
        try (DBusConnection c = connect()) {
            url = String.valueOf(((Variant<?>) call(c, UI, "/org/qemu/UiClient1", PROPS, "Get", "ss", UI,
                    "WebConsole")[0]).getValue());
        }
        String token = Files.readString(dir.resolve("state/ui/web-token")).strip();
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "stats?console=0&token=" + token))
                        .timeout(Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
        if (r.statusCode() != 200 || !n.has("qemuUpdates")) {
            System.out.println("display: the ui client's /stats answered " + r.statusCode() + ": " + r.body());
            return new long[] {-1, -1}; // reported as such, the rest of the run goes on
        }
        return new long[] {n.path("qemuUpdates").asLong(), n.path("rejected").asLong()};
    }

    /** TPM: tpm2_pcrextend + tpm2_pcrread through the swtpm TCTI (data channel and control channel). */
    private void tpmPath(Stats stats, AtomicBoolean running) {
        String tcti = "swtpm:host=127.0.0.1,port=" + tpmPort;
        while (running.get()) {
            long t0 = System.nanoTime();
            try {
                exec("tpm2_pcrextend", "-T", tcti, "16:sha256=" + "ab".repeat(32));
                exec("tpm2_pcrread", "-T", tcti, "sha256:16");
                stats.ok("data: TPM commands (extend+read)", (System.nanoTime() - t0) / 1000);
            } catch (Exception e) {
                stats.error("data: TPM commands (extend+read)", e.getMessage());
            }
        }
    }

    /** Compression: one zstd job of 4 MiB after another, each awaited to its end. */
    private void compressPath(Stats stats, AtomicBoolean running) {
        try (DBusConnection c = connect()) {
            int n = 0;
            while (running.get()) {
                long t0 = System.nanoTime();
                try {
                    String job = compressJob(c, "/load-out-" + (n++ % 4) + ".zst");
                    stats.ok("data: compress job (4 MiB zstd)", (System.nanoTime() - t0) / 1000);
                    if (!job.equals("done")) {
                        stats.error("data: compress job (4 MiB zstd)", job);
                    }
                } catch (Exception e) {
                    stats.error("data: compress job (4 MiB zstd)", e.getMessage());
                }
            }
        } catch (Exception e) {
            stats.error("data: compress job (4 MiB zstd)", String.valueOf(e));
        }
    }

    /** Submits a job writing {@code out} (under the root) and waits for its final state. */
    private String compressJob(DBusConnection c, String out) throws Exception {
        Map<String, Variant<?>> opts = Map.of("overwrite", new Variant<>(true));
        Object[] r = call(c, COMPRESS, "/org/qemu/Compress1", COMPRESS, "Compress", "sssa{sv}",
                dir.resolve("root/input").toString(), dir.resolve("root").toString() + out, "zstd", opts);
        String job = r[0].toString();
        long end = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < end) {
            Object[] s = call(c, COMPRESS, job, PROPS, "Get", "ss", "org.qemu.Compress1.Job", "State");
            String state = String.valueOf(((Variant<?>) s[0]).getValue());
            if (!state.equals("queued") && !state.equals("running")) {
                return state;
            }
            Thread.sleep(20);
        }
        return "timeout";
    }

    private static void exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": "
                    + new String(out).strip().lines().reduce((a, b) -> b).orElse(""));
        }
    }

    /** The flood, in a process of another UID: denied calls as fast as four connections can make them. */
    private static void flood(String address, int seconds) throws Exception {
        AtomicLong denied = new AtomicLong();
        AtomicLong letThrough = new AtomicLong();
        AtomicLong other = new AtomicLong();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ts.add(startThread("t", () -> {
                try (DBusConnection c = DBusConnectionBuilder.forAddress(address).withShared(false).build()) {
                    while (System.nanoTime() < end) {
                        try {
                            call(c, SLIRP, "/org/qemu/SlirpDhcp1", SLIRP, "AddStaticLease", "sss",
                                    "52:54:00:66:66:66", "10.0.2.66", "flood");
                            letThrough.incrementAndGet();
                        } catch (IOException e) {
                            if (e.getMessage().startsWith("org.freedesktop.DBus.Error.AccessDenied")) {
                                denied.incrementAndGet();
                            } else {
                                other.incrementAndGet();
                            }
                        }
                    }
                } catch (Exception e) {
                    other.incrementAndGet();
                }
            }));
        }
        for (Thread t : ts) {
            t.join();
        }
        System.out.printf("%d calls denied (%.0f/s), %d let through, %d failed otherwise (no reply, another error)%n",
                denied.get(), denied.get() / (double) seconds, letThrough.get(), other.get());
    }

    /**
     * SIGKILL under load, restart as systemd would: state acknowledged before the kill is there after it (a static
     * lease, an extended PCR, a finished job's output), and calls are answered again.
     */
    private void faults(int clients) throws Exception {
        Stats stats = new Stats();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < Math.min(clients, 16); i++) {
            threads.add(startThread("t", () -> client(stats, running)));
        }
        try (DBusConnection c = connect()) {
            // acknowledged state, one piece per helper
            call(c, SLIRP, "/org/qemu/SlirpDhcp1", SLIRP, "AddStaticLease", "sss", "52:54:00:aa:bb:cc", "10.0.2.50",
                    "kept");
            byte[] digest = new byte[32];
            Arrays.fill(digest, (byte) 7);
            call(c, TPM, "/org/qemu/TpmStub1", TPM, "PcrExtend", "suay", "sha256", new UInt32(23), digest);
            Object pcr = call(c, TPM, "/org/qemu/TpmStub1", TPM, "PcrRead", "su", "sha256", new UInt32(23))[0];
            String job = compressJob(c, "/kept.zst");
            byte[] kept = Files.readAllBytes(dir.resolve("root/kept.zst"));
            for (Helper h : helpers.values()) {
                long t0 = System.nanoTime();
                h.process()[0].destroyForcibly().waitFor();
                h.start();
                awaitReady(c, h, Duration.ofSeconds(60));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                String lost = switch (h.name()) {
                    case "slirp-dhcp" -> {
                        Object leases = call(c, SLIRP, "/org/qemu/SlirpDhcp1", SLIRP, "ListLeases", "")[0];
                        yield deepString(leases).contains("10.0.2.50") ? "none" : "the static lease 10.0.2.50 (ListLeases: "
                                + deepString(leases) + ")";
                    }
                    case "tpm-stub" -> java.util.Objects.deepEquals(pcr, call(c, TPM, "/org/qemu/TpmStub1", TPM,
                            "PcrRead", "su", "sha256", new UInt32(23))[0]) ? "none" : "PCR 23";
                    case "compress" -> job.equals("done") && Arrays.equals(kept,
                            Files.readAllBytes(dir.resolve("root/kept.zst"))) ? "none" : "the finished job's output";
                    default -> "none (no state)";
                };
                System.out.printf("fault: %-10s SIGKILL under load -> ready again in %5d ms (kill, restart, ready);"
                        + " acknowledged state lost: %s%n", h.name(), ms, lost);
            }
            Thread.sleep(2000);
            long before = stats.micros.values().stream().mapToLong(List::size).sum();
            Thread.sleep(3000);
            long after = stats.micros.values().stream().mapToLong(List::size).sum();
            System.out.printf("fault: clients answered again after the restarts: %d calls in the last 3 s%n",
                    after - before);
        } finally {
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
            }
        }
        long errs = stats.errors.values().stream().mapToLong(AtomicLong::get).sum();
        System.out.printf("fault: %d client calls failed while helpers were down (expected: they were away)%n", errs);
    }

    /** SIGKILL of the bus daemon: every helper must exit 4 within a second. */
    private void busLoss() throws Exception {
        long t0 = System.nanoTime();
        bus.killDaemon();
        for (Helper h : helpers.values()) {
            Process p = h.process()[0];
            boolean gone = p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("bus lost: %-10s %s%n", h.name(), gone ? "exit " + p.exitValue() + " after " + ms + " ms"
                    : "still running after 5 s");
        }
    }

    private void report(String phase, Stats stats, int seconds) {
        System.out.printf("%n%-36s %9s %8s %9s %9s %7s%n", phase + ": call", "calls", "per s", "p50 ms", "p99 ms",
                "errors");
        List<String> kinds = new ArrayList<>(stats.micros.keySet());
        kinds.addAll(stats.errors.keySet().stream().filter(k -> !stats.micros.containsKey(k)).toList());
        java.util.Collections.sort(kinds);
        for (String k : kinds) {
            List<Long> l = new ArrayList<>(stats.micros.getOrDefault(k, List.of()));
            java.util.Collections.sort(l);
            long errors = stats.errors.getOrDefault(k, new AtomicLong()).get();
            System.out.printf("%-36s %9d %8.0f %9.2f %9.2f %7d%n", k, l.size(), l.size() / (double) seconds,
                    pct(l, 0.50) / 1000.0, pct(l, 0.99) / 1000.0, errors);
        }
        stats.lastError.forEach((k, v) -> System.out.println("  last error of " + k + ": " + v));
    }

    private static long pct(List<Long> sorted, double p) {
        return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * p)));
    }

    private Map<String, Long> logSizes() throws IOException {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Helper h : helpers.values()) {
            m.put(h.name(), Files.exists(h.log()) ? Files.size(h.log()) : 0);
        }
        return m;
    }

    private static String diff(Map<String, Long> a, Map<String, Long> b) {
        StringBuilder s = new StringBuilder();
        b.forEach((k, v) -> s.append(s.length() == 0 ? "" : ", ").append(k).append(' ').append(v - a.get(k)));
        return s.toString();
    }

    /** A reply value as text, arrays and structs included (their toString is an identity). */
    private static String deepString(Object o) {
        if (o instanceof Object[] a) {
            return Arrays.stream(a).map(LoadBench::deepString).toList().toString();
        }
        if (o instanceof java.util.Collection<?> c) {
            return c.stream().map(LoadBench::deepString).toList().toString();
        }
        if (o instanceof org.freedesktop.dbus.Struct st) {
            return deepString(st.getParameters());
        }
        return String.valueOf(o);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    private static Thread startThread(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.start();
        return t;
    }

    private static byte[] randomish(int n) {
        byte[] b = new byte[n];
        java.util.Random r = new java.util.Random(11);
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (r.nextInt(16) + (i % 64 == 0 ? r.nextInt(200) : 'a'));
        }
        return b;
    }

    private void stopAll() {
        for (Helper h : helpers.values()) {
            if (h.process()[0] != null) {
                h.process()[0].destroyForcibly();
            }
        }
        if (qemu != null) {
            qemu.destroyForcibly();
        }
        bus.stop();
    }
}
