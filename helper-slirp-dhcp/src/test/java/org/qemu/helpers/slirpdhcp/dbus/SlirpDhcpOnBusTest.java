package org.qemu.helpers.slirpdhcp.dbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Tools;
import org.qemu.helpers.common.vmstate.VMState1;
import org.qemu.helpers.slirpdhcp.Main;

/** The helper as a real process on a private bus: members, signals, Statistics, VMState1, and the trust gate. */
class SlirpDhcpOnBusTest {
    static final long NOBODY = 65534;

    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();
    static HelperProcess helper;
    static DBusConnection conn;
    static SlirpDhcp1 proxy;
    static int dnsPort;
    static final LinkedBlockingQueue<String> signals = new LinkedBlockingQueue<>();

    static int freePort() throws Exception {
        for (int i = 0; i < 50; i++) {
            try (ServerSocket t = new ServerSocket()) {
                t.bind(new InetSocketAddress("127.0.0.1", 0));
                int p = t.getLocalPort();
                try (DatagramSocket u = new DatagramSocket(new InetSocketAddress("127.0.0.1", p))) {
                    return p;
                } catch (java.net.BindException e) {
                    // try another
                }
            }
        }
        throw new IllegalStateException("no free port");
    }

    @BeforeAll
    static void start() throws Exception {
        Path policy = BUS.dir().resolve("policy.json");
        Files.writeString(policy, """
                {"default": "untrusted", "rules": [
                  {"uid": 0, "level": "admin"},
                  {"uid": %d, "level": "helper"}]}""".formatted(NOBODY));
        dnsPort = freePort();
        helper = BUS.startHelper(Main.class, "--policy=" + policy, "--state-dir=" + BUS.dir().resolve("state"),
                "--udp-bind", "127.0.0.1", "--dhcp-port", "0", "--dns-port", String.valueOf(dnsPort),
                "--upstream", "127.0.0.1:9", "--upstream-timeout-ms", "200",
                "--netdev-socket=" + BUS.dir().resolve("guest.sock")).awaitReady(Duration.ofSeconds(30));
        conn = BUS.connect();
        proxy = conn.getRemoteObject(SlirpDhcp1.NAME, SlirpDhcp1.PATH, SlirpDhcp1.class);
        conn.addSigHandler(SlirpDhcp1.LeaseAdded.class,
                s -> signals.add("added " + s.getMac() + " " + s.getIp() + " " + s.getHostname()));
        conn.addSigHandler(SlirpDhcp1.LeaseRemoved.class, s -> signals.add("removed " + s.getMac() + " " + s.getIp()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (helper != null) {
            assertEquals(0, helper.stop(), helper.output());
        }
    }

    static String[] busctl(String... args) {
        String[] c = new String[args.length + 2];
        c[0] = "busctl";
        c[1] = "--address=" + BUS.address();
        System.arraycopy(args, 0, c, 2, args.length);
        return c;
    }

    static String dig(String... args) throws Exception {
        Tools.require("dig", "dnsutils");
        String[] c = new String[args.length + 5];
        c[0] = "dig";
        c[1] = "@127.0.0.1";
        c[2] = "-p";
        c[3] = String.valueOf(dnsPort);
        c[4] = "+time=2";
        System.arraycopy(args, 0, c, 5, args.length);
        return Commands.run(c).stdout();
    }

    @Test
    void staticLeasesAreListedSignalledPublishedAndRemoved() throws Exception {
        signals.clear();
        proxy.AddStaticLease("52:54:00:00:aa:01", "10.0.2.8", "web");
        assertEquals("added 52:54:00:00:aa:01 10.0.2.8 web", signals.poll(5, TimeUnit.SECONDS));
        List<LeaseEntry> l = proxy.ListLeases();
        assertTrue(l.stream().anyMatch(e -> e.getMac().equals("52:54:00:00:aa:01") && e.getIp().equals("10.0.2.8")
                && e.getHostname().equals("web") && e.getExpiry() == 0), l.toString());
        assertEquals("10.0.2.8", dig("+short", "web.vm.internal").strip());
        proxy.RemoveStaticLease("52:54:00:00:aa:01");
        assertEquals("removed 52:54:00:00:aa:01 10.0.2.8", signals.poll(5, TimeUnit.SECONDS));
        assertTrue(dig("web.vm.internal").contains("NXDOMAIN"));
    }

    @Test
    void hostRecordsResolveAndGoAway() throws Exception {
        proxy.AddHostRecord("printer", "10.0.2.60");
        assertEquals("10.0.2.60", dig("+short", "printer.vm.internal").strip());
        assertEquals("printer.vm.internal.", dig("+short", "-x", "10.0.2.60").strip());
        assertTrue(proxy.ListHostRecords().stream().anyMatch(h -> h.getName().equals("printer.vm.internal")));
        proxy.RemoveHostRecord("printer.vm.internal");
        assertTrue(dig("printer.vm.internal").contains("NXDOMAIN"));
    }

    /** Calls a member with gdbus (a real D-Bus client) and returns the D-Bus error name it got, or "" on success. */
    static String gdbusError(String path, String member, String... args) throws Exception {
        Tools.require("gdbus", "libglib2.0-bin");
        String[] c = new String[9 + args.length];
        String[] head = {"gdbus", "call", "--address", BUS.address(), "--dest", SlirpDhcp1.NAME, "--object-path", path,
                "--method=" + member};
        System.arraycopy(head, 0, c, 0, head.length);
        System.arraycopy(args, 0, c, head.length, args.length);
        ProcResult r = Commands.run(c);
        if (r.ok()) {
            return "";
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("GDBus\\.Error:([A-Za-z0-9_.]+)").matcher(r.stderr());
        assertTrue(m.find(), r.toString());
        return m.group(1);
    }

    static String add(String mac, String ip, String host) throws Exception {
        return gdbusError(SlirpDhcp1.PATH, SlirpDhcp1.NAME + ".AddStaticLease", mac, ip, host);
    }

    @Test
    void badArgumentsGetNamedErrorsAndChangeNothing() throws Exception {
        String invalid = "org.freedesktop.DBus.Error.InvalidArgs";
        assertEquals(invalid, add("not-a-mac", "10.0.2.9", ""));
        assertEquals(invalid, add("52:54:00:00:aa:02", "10.9.9.9", ""));
        assertEquals(invalid, add("52:54:00:00:aa:02", "10.0.2.9", "bad.name"));
        assertEquals(invalid, add("ff:ff:ff:ff:ff:ff", "10.0.2.9", ""));
        assertEquals("org.qemu.SlirpDhcp1.Error.NotFound",
                gdbusError(SlirpDhcp1.PATH, SlirpDhcp1.NAME + ".RemoveStaticLease", "52:54:00:00:ff:ff"));
        assertEquals("", add("52:54:00:00:aa:03", "10.0.2.10", ""));
        assertEquals("org.qemu.SlirpDhcp1.Error.Conflict", add("52:54:00:00:aa:04", "10.0.2.10", ""));
        assertEquals(invalid, gdbusError(SlirpDhcp1.PATH, SlirpDhcp1.NAME + ".AddHostRecord", "bad name", "10.0.2.1"));
        proxy.RemoveStaticLease("52:54:00:00:aa:03");
        assertTrue(proxy.ListLeases().stream().noneMatch(x -> x.getMac().equals("52:54:00:00:aa:02")));
    }

    @Test
    void addStaticLeaseBelowAdminIsDeniedAndChangesNothing() throws Exception {
        List<LeaseEntry> before = proxy.ListLeases();
        ProcResult r = Commands.runAs(NOBODY, busctl("call", SlirpDhcp1.NAME, SlirpDhcp1.PATH, SlirpDhcp1.NAME,
                "AddStaticLease", "sss", "52:54:00:00:bb:01", "10.0.2.11", "evil"));
        assertNotEquals(0, r.exitCode());
        assertTrue(r.stderr().contains("Access denied") || r.stderr().contains("AccessDenied"), r.toString());
        assertEquals(before.size(), proxy.ListLeases().size());
        assertTrue(dig("evil.vm.internal").contains("NXDOMAIN"));
        // a helper-level peer may read leases and add host records, as the contract says
        ProcResult list = Commands.runAs(NOBODY, busctl("call", SlirpDhcp1.NAME, SlirpDhcp1.PATH, SlirpDhcp1.NAME,
                "ListLeases"));
        assertEquals(0, list.exitCode(), list.toString());
    }

    @Test
    void statisticsPropertyCountsQueries() throws Exception {
        dig("+short", "nothing.vm.internal");
        ProcResult r = Commands.run(busctl("get-property", SlirpDhcp1.NAME, SlirpDhcp1.PATH, SlirpDhcp1.NAME,
                "Statistics"));
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().startsWith("a{st}"), r.stdout());
        assertTrue(r.stdout().contains("\"dns_queries\""), r.stdout());
    }

    @Test
    void vmstateSaveThenLoadRestoresStateAndBadBlobsChangeNothing() throws Exception {
        VMState1 vm = conn.getRemoteObject(SlirpDhcp1.NAME, VMState1.PATH, VMState1.class);
        proxy.AddStaticLease("52:54:00:00:cc:01", "10.0.2.12", "mig");
        proxy.AddHostRecord("files", "10.0.2.61");
        byte[] blob = vm.Save();
        proxy.RemoveStaticLease("52:54:00:00:cc:01");
        proxy.RemoveHostRecord("files");
        assertTrue(dig("mig.vm.internal").contains("NXDOMAIN"));
        byte[] bad = blob.clone();
        bad[bad.length - 1] ^= 1;
        StringBuilder ay = new StringBuilder("@ay [");
        for (int i = 0; i < bad.length; i++) {
            ay.append(i == 0 ? "" : ", ").append(bad[i] & 0xff);
        }
        assertEquals("org.qemu.VMState1.Error.InvalidState",
                gdbusError(VMState1.PATH, VMState1.INTERFACE + ".Load", ay.append("]").toString()));
        assertTrue(dig("mig.vm.internal").contains("NXDOMAIN"));
        vm.Load(blob);
        assertEquals("10.0.2.12", dig("+short", "mig.vm.internal").strip());
        assertEquals("10.0.2.61", dig("+short", "files.vm.internal").strip());
        assertFalse(proxy.ListLeases().isEmpty());
        proxy.RemoveStaticLease("52:54:00:00:cc:01");
        proxy.RemoveHostRecord("files");
    }

    @Test
    void liveIntrospectionHasEveryMemberOfTheShippedXml() throws Exception {
        ProcResult r = Commands.run(busctl("introspect", SlirpDhcp1.NAME, SlirpDhcp1.PATH, SlirpDhcp1.NAME));
        assertEquals(0, r.exitCode(), r.toString());
        String xml;
        try (var in = SlirpDhcp1.class.getResourceAsStream("SlirpDhcp1.xml")) {
            xml = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<(method|signal|property) name=\"(\\w+)\"")
                .matcher(xml);
        int n = 0;
        while (m.find()) {
            n++;
            String line = "." + m.group(2) + " ";
            assertTrue(r.stdout().lines().anyMatch(l -> l.startsWith(line) && l.contains(m.group(1))),
                    m.group(1) + " " + m.group(2) + " missing from:\n" + r.stdout());
        }
        assertEquals(13, n);
        // Every method's in and out signatures as shipped are what the live object says.
        java.util.regex.Matcher meth = java.util.regex.Pattern.compile(
                "<method name=\"(\\w+)\">(.*?)</method>", java.util.regex.Pattern.DOTALL).matcher(xml);
        while (meth.find()) {
            StringBuilder in = new StringBuilder();
            StringBuilder out = new StringBuilder();
            java.util.regex.Matcher arg = java.util.regex.Pattern.compile(
                    "type=\"([^\"]+)\" direction=\"(in|out)\"").matcher(meth.group(2));
            while (arg.find()) {
                (arg.group(2).equals("in") ? in : out).append(arg.group(1));
            }
            String name = meth.group(1);
            String want = "." + name + " method " + (in.length() == 0 ? "-" : in) + " " + (out.length() == 0 ? "-" : out);
            assertTrue(r.stdout().lines().map(l -> l.trim().replaceAll("\\s+", " "))
                    .anyMatch(l -> l.startsWith(want)), want + " not in:\n" + r.stdout());
        }
        assertTrue(r.stdout().lines().anyMatch(l -> l.startsWith(".ListLeases") && l.contains("a(sssx)")), r.stdout());
        assertTrue(r.stdout().lines().anyMatch(l -> l.startsWith(".Statistics") && l.contains("a{st}")), r.stdout());
    }

    @Test
    void forwardsAreAddedListedMigratedAndRemovedByAdminsOnly() throws Exception {
        ProcResult denied = Commands.runAs(NOBODY, busctl("call", SlirpDhcp1.NAME, SlirpDhcp1.PATH, SlirpDhcp1.NAME,
                "AddForward", "ssqsq", "tcp", "127.0.0.1", "0", "", "22"));
        assertNotEquals(0, denied.exitCode());
        assertTrue(denied.stderr().contains("Access denied") || denied.stderr().contains("AccessDenied"),
                denied.toString());
        assertTrue(proxy.ListForwards().isEmpty());
        int port = proxy.AddForward("tcp", "127.0.0.1", new org.freedesktop.dbus.types.UInt16(0), "",
                new org.freedesktop.dbus.types.UInt16(22)).intValue();
        assertTrue(port > 0);
        try (java.net.Socket c = new java.net.Socket("127.0.0.1", port)) {
            assertTrue(c.isConnected(), "the forward's host socket listens");
        }
        assertEquals("org.qemu.SlirpDhcp1.Error.Conflict", gdbusError(SlirpDhcp1.PATH, SlirpDhcp1.NAME
                + ".AddForward", "tcp", "127.0.0.1", String.valueOf(port), "", "23"));
        assertEquals("org.freedesktop.DBus.Error.InvalidArgs", gdbusError(SlirpDhcp1.PATH, SlirpDhcp1.NAME
                + ".AddForward", "sctp", "127.0.0.1", "0", "", "23"));
        assertEquals("org.freedesktop.DBus.Error.InvalidArgs", gdbusError(SlirpDhcp1.PATH, SlirpDhcp1.NAME
                + ".AddForward", "tcp", "127.0.0.1", "0", "192.0.2.1", "23"));
        List<ForwardEntry> l = proxy.ListForwards();
        assertEquals(1, l.size());
        assertEquals("tcp", l.get(0).getProto());
        assertEquals(port, l.get(0).getHostPort().intValue());
        // The forward is part of the migrated state: saved, removed, loaded back, and listening again.
        VMState1 vm = conn.getRemoteObject(SlirpDhcp1.NAME, VMState1.PATH, VMState1.class);
        byte[] blob = vm.Save();
        proxy.RemoveForward("tcp", "127.0.0.1", new org.freedesktop.dbus.types.UInt16(port));
        assertTrue(proxy.ListForwards().isEmpty());
        assertEquals("org.qemu.SlirpDhcp1.Error.NotFound", gdbusError(SlirpDhcp1.PATH, SlirpDhcp1.NAME
                + ".RemoveForward", "tcp", "127.0.0.1", String.valueOf(port)));
        vm.Load(blob);
        assertEquals(port, proxy.ListForwards().get(0).getHostPort().intValue());
        try (java.net.Socket c = new java.net.Socket("127.0.0.1", port)) {
            assertTrue(c.isConnected());
        }
        ProcResult flows = Commands.runAs(NOBODY, busctl("call", SlirpDhcp1.NAME, SlirpDhcp1.PATH, SlirpDhcp1.NAME,
                "ListFlows"));
        assertEquals(0, flows.exitCode(), "a helper-level peer may list flows: " + flows);
        proxy.RemoveForward("tcp", "127.0.0.1", new org.freedesktop.dbus.types.UInt16(port));
    }
}
