package org.qemu.helpers.uiclient.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.Variant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.sample.SampleHelper;
import org.qemu.helpers.common.testing.Chromium;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.Qemu;
import org.qemu.helpers.uiclient.Main;
import org.qemu.helpers.uiclient.display.Display1;
import org.qemu.helpers.uiclient.testutil.VmDisplay;

/**
 * The web console in Debian's headless Chromium (DevTools protocol), with the helper as its own
 * process, a real QEMU 7.2 and a second helper on the bus whose Description is hostile markup.
 */
@Timeout(300)
class WebConsoleChromiumTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();
    static final String HOSTILE = "<img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script>";

    private static Qemu qemu;
    private static HelperProcess ui;
    private static Chromium browser;
    private static String base;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        qemu = VmDisplay.start(BUS, "web");
        Path sampleState = Files.createTempDirectory(BUS.dir(), "sample");
        BUS.startHelper(SampleHelper.class, "--state-dir", sampleState.toString(), "--description", HOSTILE)
                .awaitReady(Duration.ofSeconds(60));
        FakeHelpers.start(BUS);
        Path state = Files.createTempDirectory(BUS.dir(), "ui");
        ui = BUS.startHelper(Main.class, "--state-dir", state.toString(), "--web", "127.0.0.1:0")
                .awaitReady(Duration.ofSeconds(60));
        Path tokenFile = state.resolve("web-token");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
        token = Files.readString(tokenFile).strip();
        assertTrue(ui.output().contains("?token=" + token), "the URL with the token is printed once at start");
        DBusConnection c = BUS.connect();
        Object v = c.getRemoteObject("org.qemu.UiClient1", "/org/qemu/UiClient1", Properties.class)
                .Get("org.qemu.UiClient1", "WebConsole");
        base = String.valueOf(v instanceof Variant<?> var ? var.getValue() : v);
        assertTrue(base.startsWith("http://127.0.0.1:"), base);
        assertTrue(!ui.output().replace("?token=" + token, "").contains(token), "token printed only in the URL line");
        browser = Chromium.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
        BUS.killHelpers();
        if (qemu != null) {
            qemu.close();
        }
    }

    private static String bodyText() throws Exception {
        return browser.eval("document.body ? document.body.innerText : ''").asText();
    }

    @Test
    void pageRefusesAMissingOrWrongToken() throws Exception {
        browser.navigate(base);
        assertTrue(browser.waitFor("document.readyState === 'complete' && document.body.innerText.length > 0",
                Duration.ofSeconds(20)));
        assertTrue(bodyText().contains("token required"), bodyText());
        assertEquals(0, browser.eval("document.querySelectorAll('canvas').length").asInt());
        browser.navigate(base + "?token=" + token.substring(1) + "x");
        assertTrue(browser.waitFor("document.readyState === 'complete' && document.body.innerText.includes('wrong')",
                Duration.ofSeconds(20)), bodyText());
        assertEquals(0, browser.eval("document.querySelectorAll('canvas').length").asInt());
    }

    @Test
    void withTheTokenThePageShowsTheConsoleTakesKeysAndListsHelpersAsText() throws Exception {
        browser.navigate(base + "?token=" + token);
        assertTrue(browser.waitFor("document.body.dataset.size === '720x400' && Number(document.body.dataset.drawn) > 0",
                Duration.ofSeconds(60)), "canvas never got the console: " + bodyText() + "\n" + ui.output());
        assertTrue(browser.waitFor("(() => { const c = document.getElementById('screen');"
                + " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
                + " for (let i = 0; i < d.length; i += 4) { if (d[i] | d[i + 1] | d[i + 2]) n++; } return n > 500; })()",
                Duration.ofSeconds(30)), "canvas stayed blank");
        assertEquals(720, browser.eval("document.getElementById('screen').width").asInt());
        assertEquals(400, browser.eval("document.getElementById('screen').height").asInt());

        // Caps Lock typed in the page reaches QEMU: SeaBIOS's LED change shows in Keyboard.Modifiers.
        DBusConnection c = BUS.connect();
        Properties kb = c.getRemoteObject(Display1.BUS_NAME, Display1.consolePath(0), Properties.class);
        long before = modifiers(kb);
        browser.eval("document.getElementById('screen').focus(); true");
        browser.key("CapsLock", "CapsLock", 20);
        assertTrue(VmDisplay.waitFor(Duration.ofSeconds(20), () -> {
            try {
                return (modifiers(kb) & 4) != (before & 4);
            } catch (Exception e) {
                return false;
            }
        }), "Keyboard.Modifiers stayed " + before + "; guest keyboard saw " + VmDisplay.keyboardTrace(qemu.output()));

        // Mouse: a move and a left click on the canvas reach QEMU's input layer (the PS/2 mouse
        // of -vga std guests is relative, so the page's movement arrives as RelMotion).
        double cx = browser.eval("(() => { const r = document.getElementById('screen').getBoundingClientRect();"
                + " return r.left + 100; })()").asDouble();
        double cy = browser.eval("document.getElementById('screen').getBoundingClientRect().top + 100").asDouble();
        browser.mouse("mouseMoved", cx, cy, "none");
        browser.mouse("mouseMoved", cx + 30, cy + 20, "none");
        browser.mouse("mousePressed", cx + 30, cy + 20, "left");
        browser.mouse("mouseReleased", cx + 30, cy + 20, "left");
        assertTrue(VmDisplay.waitFor(Duration.ofSeconds(20), () -> {
            try {
                String log = qemu.output();
                return log.contains("input_event_rel") && log.matches("(?s).*input_event_btn[^\\n]*left[^\\n]*down 1.*")
                        && log.matches("(?s).*input_event_btn[^\\n]*left[^\\n]*down 0.*");
            } catch (java.io.IOException e) {
                return false;
            }
        }), "mouse input did not reach QEMU: " + qemu.output().lines().filter(l -> l.contains("input_event"))
                .limit(10).toList());

        // The helper panel lists the helpers on the bus; the hostile Description is plain text.
        assertTrue(browser.waitFor("[...document.querySelectorAll('#helpers .helper')].map(h => h.dataset.bus)"
                + ".join(',').includes('org.qemu.Sample1')", Duration.ofSeconds(30)), bodyText());
        assertTrue(browser.eval("[...document.querySelectorAll('#helpers .helper')].map(h => h.dataset.bus)"
                + ".includes('org.qemu.UiClient1')").asBoolean(), bodyText());
        String shown = browser.eval("[...document.querySelectorAll('#helpers .helper')]"
                + ".find(h => h.dataset.bus === 'org.qemu.Sample1').querySelector('.description').textContent").asText();
        assertEquals(HOSTILE, shown);
        assertEquals(0, browser.eval("document.querySelectorAll('#helpers img, #helpers script').length").asInt());
        assertTrue(browser.eval("window.__xss === undefined").asBoolean(), "hostile markup ran");

        // Live data of the other helpers (test doubles, see FakeHelpers): leases with a
        // guest-chosen hostname shown as text, a job's progress, PCRs 0-7 of the active bank (sha384: the panel
        // reads ActiveBanks, not the implemented Banks).
        assertTrue(browser.waitFor("document.querySelectorAll('#helpers .helper').length >= 5",
                Duration.ofSeconds(30)), bodyText());
        String dhcp = "[...document.querySelectorAll('#helpers .helper')].find(h => h.dataset.bus === 'org.qemu.SlirpDhcp1')";
        assertTrue(browser.eval("[...(" + dhcp + ").querySelectorAll('td')].some(td => td.textContent === '"
                + FakeHelpers.HOSTILE_HOSTNAME + "')").asBoolean(), bodyText());
        assertEquals(0, browser.eval("(" + dhcp + ").querySelectorAll('b').length").asInt());
        String tpm = "[...document.querySelectorAll('#helpers .helper')].find(h => h.dataset.bus === 'org.qemu.TpmStub1')";
        assertEquals(9, browser.eval("(" + tpm + ").querySelectorAll('tr').length").asInt(), "header + PCRs 0-7");
        assertTrue(browser.eval("(" + tpm + ").textContent.includes('sha384')"
                + " && (" + tpm + ").textContent.includes('0'.repeat(94) + '07')").asBoolean(), bodyText());
        String jobs = "[...document.querySelectorAll('#helpers .helper')].find(h => h.dataset.bus === 'org.qemu.Compress1')";
        assertTrue(browser.eval("(" + jobs + ").textContent.includes('running') && (" + jobs
                + ").textContent.includes('50%')").asBoolean(), bodyText());
        browser.screenshot(Path.of("target", "test-artifacts", "web-console.png"));
    }

    /** The gate and the input endpoint over plain HTTP (what a page of another origin or a script could send). */
    @Test
    void gateRefusesWrongHostMissingTokenAndBadInputAndTheBenchEndpointsAreOff() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.URI input = java.net.URI.create(base + "input");
        // DNS rebinding: a foreign name in Host is refused (written raw: the JDK client sets Host itself)
        assertEquals(421, rawStatus("GET /?token=" + token + " HTTP/1.1\r\nHost: evil.example:80\r\n\r\n"));
        // no Host at all (HTTP/1.0: for 1.1 the JDK server answers 400 itself)
        assertEquals(421, rawStatus("GET /?token=" + token + " HTTP/1.0\r\n\r\n"), "no Host header");
        assertEquals(403, status(http, java.net.http.HttpRequest.newBuilder(input)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"kind\":\"key\",\"code\":\"KeyA\",\"down\":true}"))));
        assertEquals(403, status(http, java.net.http.HttpRequest.newBuilder(input).header("X-Token", token + "x")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}"))));
        assertEquals(405, status(http, java.net.http.HttpRequest.newBuilder(input).header("X-Token", token).GET()));
        assertEquals(413, status(http, java.net.http.HttpRequest.newBuilder(input).header("X-Token", token)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("x".repeat(5000)))));
        assertEquals(400, status(http, java.net.http.HttpRequest.newBuilder(input).header("X-Token", token)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("not json"))));
        assertEquals(400, status(http, java.net.http.HttpRequest.newBuilder(input).header("X-Token", token)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"kind\":\"key\",\"code\":\"NoSuchKey\"}"))));
        assertEquals(400, status(http, java.net.http.HttpRequest.newBuilder(input).header("X-Token", token)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"kind\":\"button\",\"button\":7}"))));
        assertEquals(400, status(http, java.net.http.HttpRequest.newBuilder(input).header("X-Token", token)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"kind\":\"teleport\"}"))));
        // the bench endpoints exist only with -Dorg.qemu.helpers.uiclient.webBench=true (bench/run.sh)
        assertEquals(404, status(http, java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(base + "stats?token=" + token)).GET()));
        assertEquals(404, status(http, java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "ack"))
                .header("X-Token", token).POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"acks\":[]}"))));
        // with the right token the stream answers as an event stream and starts with the state
        java.net.http.HttpResponse<java.io.InputStream> events = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(base + "events?token=" + token)).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, events.statusCode());
        assertEquals("text/event-stream", events.headers().firstValue("Content-Type").orElse(""));
        try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(events.body(),
                java.nio.charset.StandardCharsets.UTF_8))) {
            assertEquals("event: state", r.readLine());
            String data = r.readLine();
            assertTrue(data.startsWith("data: {\"state\":\"attached\""), data);
        }
    }

    private static int status(java.net.http.HttpClient http, java.net.http.HttpRequest.Builder b) throws Exception {
        return http.send(b.build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** The status of a request written as raw bytes to the console's port. */
    private static int rawStatus(String request) throws Exception {
        java.net.URI u = java.net.URI.create(base);
        try (java.net.Socket s = new java.net.Socket(u.getHost(), u.getPort())) {
            s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII)).readLine();
            return Integer.parseInt(line.split(" ")[1]);
        }
    }

    private static long modifiers(Properties kb) {
        Object v = kb.Get(Display1.KEYBOARD_IFACE, "Modifiers");
        Object n = v instanceof Variant<?> var ? var.getValue() : v;
        return ((Number) n).longValue();
    }
}
