package org.qemu.helpers.slirpdhcp.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.slirpdhcp.Main;

/**
 * User-mode networking with a real guest: QEMU 7.2 and the busybox Linux guest on {@code -netdev stream} to the
 * helper, talking to servers on the host's 127.0.0.1 through the gateway address 10.0.2.2, and a host client
 * reaching the guest's httpd through a forward. Everything stays on this machine.
 */
class QemuNatTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();
    static final Duration BOOT = Duration.ofSeconds(240);

    @AfterEach
    void cleanUp() {
        BUS.killHelpers();
    }

    private HelperProcess helper(Path sock, String... extra) throws Exception {
        String[] args = new String[extra.length + 3];
        args[0] = "--state-dir=" + BUS.dir().resolve("state-" + sock.getFileName());
        args[1] = "--netdev-socket=" + sock;
        args[2] = "--upstream=127.0.0.1:9"; // DNS forwarding is not under test: nothing outside is asked
        System.arraycopy(extra, 0, args, 3, extra.length);
        return BUS.startHelper(Main.class, args).awaitReady(Duration.ofSeconds(30));
    }

    private static String fetch(int port) throws IOException, InterruptedException {
        HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/index.html"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body().strip();
    }

    private static String field(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        return m.find() ? m.group(1) : "<no match for " + regex + ">";
    }

    @Test
    void guestReachesHostServersAndTheHostReachesTheGuestThroughAForward() throws Exception {
        try (HostServers host = new HostServers(64 << 20)) {
            int closed = HostServers.closedPort();
            int fwd = HostServers.closedPort();
            Path sock = BUS.dir().resolve("nat.sock");
            HelperProcess h = helper(sock, "--forward=tcp:127.0.0.1:" + fwd + ":8080");
            String script = String.join("\n",
                    "H=10.0.2.2; P=" + host.httpPort() + "; C=" + closed + "; T=" + host.tftpPort(),
                    "echo \"GUEST-BIG $(wget -q -O - http://$H:$P/big | sha256sum)\"",
                    // busybox wget sends --post-file as a C string: the upload is text (base64 of 6 MiB), no NUL bytes
                    "dd if=/dev/urandom bs=1024 count=6144 2>/dev/null | base64 > /tmp/up",
                    "echo \"GUEST-UP-LOCAL $(sha256sum /tmp/up)\"",
                    "echo \"GUEST-UP-REMOTE $(wget -q -O - --post-file=/tmp/up http://$H:$P/upload)\"",
                    "i=0; while [ $i -lt 64 ]; do (wget -q -O - http://$H:$P/small > /tmp/c$i 2>&1) & i=$((i+1)); done",
                    "wait",
                    "echo \"GUEST-CONC $(cat /tmp/c* | grep -c small-ok)\"",
                    "t0=$(date +%s); wget -q -O /dev/null http://$H:$C/; rc=$?; t1=$(date +%s)",
                    "echo \"GUEST-REFUSED rc=$rc secs=$((t1-t0))\"",
                    "cd /tmp && tftp -g -r x -l /tmp/tf $H $T && echo \"GUEST-TFTP $(cat /tmp/tf)\"",
                    "mkdir -p /www && echo fwd-ok > /www/index.html && httpd -p 8080 -h /www",
                    "echo GUEST-FWD-READY",
                    "sleep 10", "");
            try (LinuxGuest g = LinuxGuest.boot(BUS.dir(), "nat", script,
                    LinuxGuest.streamNic(sock, "52:54:00:12:34:88"))) {
                String out = g.awaitLine("GUEST-FWD-READY", BOOT);
                assertTrue(out.contains("GUEST-FWD-READY"), out + "\n--- helper:\n" + h.output());
                String viaForward = fetch(fwd);
                out = g.awaitLine("GUEST-DONE", Duration.ofSeconds(60));
                assertEquals(host.bigSha256, field(out, "GUEST-BIG ([0-9a-f]{64})"), out);
                assertEquals(field(out, "GUEST-UP-LOCAL ([0-9a-f]{64})"),
                        field(out, "GUEST-UP-REMOTE upload-sha256=([0-9a-f]{64})"), out);
                assertTrue(host.lastUpload.length > 8_000_000, "upload of " + host.lastUpload.length + " bytes");
                assertEquals("64", field(out, "GUEST-CONC (\\d+)"), out);
                assertTrue(!field(out, "GUEST-REFUSED rc=(\\d+)").equals("0"), out);
                assertTrue(Integer.parseInt(field(out, "GUEST-REFUSED rc=\\d+ secs=(\\d+)")) <= 1,
                        "a connect to a closed host port fails at once: " + out);
                assertEquals("tftp-through-nat", field(out, "GUEST-TFTP (\\S+)"), out);
                assertEquals("200 fwd-ok", viaForward);
            }
        }
    }

    /**
     * A guest connection open across a dbus-vmstate migration: the fresh helper on the destination has no such
     * flow, so the guest's next segment gets RST and its application sees a reset (not a hang); new connections
     * work at once.
     */
    @Test
    void aConnectionOpenAcrossAMigrationIsResetOnTheDestination() throws Exception {
        try (HostServers host = new HostServers(1024);
             java.net.ServerSocket hold = new java.net.ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
            Thread holder = new Thread(() -> {
                try (java.net.Socket c = hold.accept()) {
                    c.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                } catch (IOException e) {
                    // the test is over
                }
            });
            holder.setDaemon(true);
            holder.start();
            String vmstate = "dbus-vmstate,id=dv,addr=" + BUS.qemuAddress();
            Path s1 = BUS.dir().resolve("mig-src.sock");
            HelperProcess h1 = helper(s1);
            String script = String.join("\n",
                    "(while true; do echo ping; sleep 1; done) | nc 10.0.2.2 " + hold.getLocalPort()
                            + " & NC=$!",
                    "sleep 2; echo GUEST-HOLDING",
                    "wait $NC; echo GUEST-NC-EXIT",
                    "wget -q -O - http://10.0.2.2:" + host.httpPort() + "/small | sed 's/^/GUEST-AFTER /'",
                    "sleep 2", "");
            Path file = BUS.dir().resolve("nat.migration");
            List<String> nic1 = new java.util.ArrayList<>(LinuxGuest.streamNic(s1, "52:54:00:12:34:90"));
            nic1.addAll(List.of("-object", vmstate));
            try (LinuxGuest g = LinuxGuest.boot(BUS.dir(), "mig-src", script, nic1)) {
                String out = g.awaitLine("GUEST-HOLDING", BOOT);
                assertTrue(out.contains("GUEST-HOLDING"), out + "\n--- helper:\n" + h1.output());
                g.qemu().qmp().execute("migrate", java.util.Map.of("uri", "exec:cat > " + file));
                g.qemu().qmp().awaitMigration(Duration.ofSeconds(120));
                assertTrue(!out.contains("GUEST-NC-EXIT"), out);
            }
            assertEquals(0, h1.stop());
            Path s2 = BUS.dir().resolve("mig-dst.sock");
            HelperProcess h2 = helper(s2);
            List<String> nic2 = new java.util.ArrayList<>(LinuxGuest.streamNic(s2, "52:54:00:12:34:90"));
            nic2.addAll(List.of("-object", vmstate));
            try (LinuxGuest g = LinuxGuest.incoming(BUS.dir(), "mig-src", "mig-dst", nic2, file)) {
                g.qemu().qmp().awaitMigration(Duration.ofSeconds(120));
                g.qemu().qmp().execute("cont", java.util.Map.of());
                String out = g.awaitLine("GUEST-AFTER", Duration.ofSeconds(60));
                assertTrue(out.contains("GUEST-NC-EXIT"), "the held connection ended: " + out + "\n" + h2.output());
                assertTrue(out.contains("GUEST-AFTER small-ok"), out);
                assertTrue(h2.output().contains("vmstate-load"), h2.output());
                String stats = BUS.busctl("get-property", "org.qemu.SlirpDhcp1", "/org/qemu/SlirpDhcp1",
                        "org.qemu.SlirpDhcp1", "Statistics").stdout();
                assertTrue(stats.contains("\"nat_tcp_rst_unknown\""), "the reset came from the unknown flow: " + stats);
            }
        }
    }

    @Test
    void restrictRefusesOutboundWhileForwardsWork() throws Exception {
        try (HostServers host = new HostServers(1024)) {
            int fwd = HostServers.closedPort();
            Path sock = BUS.dir().resolve("restricted.sock");
            HelperProcess h = helper(sock, "--restrict", "--forward=tcp:127.0.0.1:" + fwd + ":8080");
            String script = String.join("\n",
                    "t0=$(date +%s); wget -q -O /dev/null http://10.0.2.2:" + host.httpPort() + "/small; rc=$?",
                    "t1=$(date +%s); echo \"GUEST-OUT rc=$rc secs=$((t1-t0))\"",
                    "mkdir -p /www && echo fwd-ok > /www/index.html && httpd -p 8080 -h /www",
                    "echo GUEST-FWD-READY", "sleep 6", "");
            try (LinuxGuest g = LinuxGuest.boot(BUS.dir(), "restricted", script,
                    LinuxGuest.streamNic(sock, "52:54:00:12:34:89"))) {
                String out = g.awaitLine("GUEST-FWD-READY", BOOT);
                assertTrue(out.contains("GUEST-FWD-READY"), out + "\n--- helper:\n" + h.output());
                assertEquals("200 fwd-ok", fetch(fwd));
                assertTrue(!field(out, "GUEST-OUT rc=(\\d+)").equals("0"), out);
                assertTrue(Integer.parseInt(field(out, "GUEST-OUT rc=\\d+ secs=(\\d+)")) <= 1, out);
            }
        }
    }
}
