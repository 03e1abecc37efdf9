package org.qemu.helpers.uiclient.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.freedesktop.dbus.types.UInt32;
import org.qemu.helpers.common.bus.HelperRuntime;
import org.qemu.helpers.common.discovery.HelperDirectory;
import org.qemu.helpers.uiclient.display.Display1;
import org.qemu.helpers.uiclient.display.DisplayClient;
import org.qemu.helpers.uiclient.display.DisplayUnavailableException;
import org.qemu.helpers.uiclient.display.UiLog;
import org.qemu.helpers.uiclient.engine.ConsoleDisplay;
import org.qemu.helpers.uiclient.engine.CursorImage;
import org.qemu.helpers.uiclient.engine.Damage;
import org.qemu.helpers.uiclient.engine.DirtyRegion;
import org.qemu.helpers.uiclient.engine.FastPng;
import org.qemu.helpers.uiclient.engine.KeyEvent;
import org.qemu.helpers.uiclient.engine.PngCodec;
import org.qemu.helpers.uiclient.engine.Qnum;
import org.qemu.helpers.uiclient.engine.Rect;

/**
 * The web console: HTTP on loopback (JDK com.sun.net.httpserver), opened only with the random
 * token. The page gets changed rectangles as PNGs over server-sent events (HTML Living
 * Standard, "Server-sent events"), sends keys (KeyboardEvent.code, mapped to qnum here) and
 * mouse input back with POST, and shows the helper panel. Nothing a helper or the guest
 * supplied is put into markup by the server: it travels as JSON and the page sets textContent.
 */
public final class WebConsole implements AutoCloseable {
    private static final int MAX_VIEWERS = 8;
    private static final int MAX_BODY = 4096;
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src data:;"
            + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final HttpServer server;
    private final ExecutorService pool;
    private final DisplayClient display;
    private final HelperDirectory directory;
    private final HelperPanel panel;
    private final UiLog log;
    private final String token;
    private final byte[] tokenBytes;
    private final Set<String> allowedHosts;
    private final String baseUrl;
    private final Semaphore viewers = new Semaphore(MAX_VIEWERS);
    private final LatencyStats latency = new LatencyStats();
    private final LatencyStats pushed = new LatencyStats();
    private final AtomicInteger denied = new AtomicInteger();
    private final Map<Integer, Boolean> absolute = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean closed;

    private WebConsole(HttpServer server, ExecutorService pool, DisplayClient display, HelperDirectory directory,
                       HelperPanel panel, UiLog log, String token) {
        this.server = server;
        this.pool = pool;
        this.display = display;
        this.directory = directory;
        this.panel = panel;
        this.log = log;
        this.token = token;
        this.tokenBytes = token.getBytes(StandardCharsets.US_ASCII);
        int port = server.getAddress().getPort();
        String host = server.getAddress().getAddress().getHostAddress();
        String hostPart = host.contains(":") ? "[" + host + "]" : host;
        this.baseUrl = "http://" + hostPart + ":" + port + "/";
        // DNS rebinding: a page of another origin that resolves its name to 127.0.0.1 still sends
        // its own Host header; only our literal addresses are accepted.
        this.allowedHosts = Set.of(hostPart + ":" + port, "localhost:" + port);
    }

    /** Start on {@code address}; the token goes to {@code STATE_DIR/web-token} (mode 0600). */
    public static WebConsole start(WebAddress address, DisplayClient display, HelperRuntime rt, UiLog log)
            throws Exception {
        String token = TokenFile.newToken();
        TokenFile.write(rt.stateDir().resolve("web-token"), token);
        HelperDirectory directory = HelperDirectory.open(rt.connection(), rt.trust());
        HelperPanel panel = new HelperPanel(rt.connection(), directory, log);
        return start(address, display, directory, panel, log, token);
    }

    static WebConsole start(WebAddress address, DisplayClient display, HelperDirectory directory, HelperPanel panel,
                            UiLog log, String token) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(address.host(), address.port()), 16);
        ExecutorService pool = Executors.newFixedThreadPool(MAX_VIEWERS + 4, r -> {
            Thread t = new Thread(r, "ui-client-web");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        WebConsole w = new WebConsole(server, pool, display, directory, panel, log, token);
        panel.setDemand(() -> w.viewers.availablePermits() < MAX_VIEWERS);
        server.createContext("/", w::handle);
        server.start();
        log.info("web-console", "url", w.baseUrl);
        return w;
    }

    public String baseUrl() {
        return baseUrl;
    }

    public String token() {
        return token;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String host = ex.getRequestHeaders().getFirst("Host");
            if (host == null || !allowedHosts.contains(host)) {
                text(ex, 421, "wrong Host header: open the address the helper printed\n");
                return;
            }
            switch (path) {
                case "/app.js" -> resource(ex, "app.js", "text/javascript; charset=utf-8");
                case "/app.css" -> resource(ex, "app.css", "text/css; charset=utf-8");
                case "/" -> {
                    if (authorized(ex)) {
                        resource(ex, "index.html", "text/html; charset=utf-8");
                    }
                }
                case "/events" -> {
                    if (authorized(ex)) {
                        events(ex);
                    }
                }
                case "/input" -> {
                    if (authorized(ex)) {
                        input(ex);
                    }
                }
                case "/ack" -> {
                    if (authorized(ex)) {
                        ack(ex);
                    }
                }
                case "/stats" -> {
                    if (authorized(ex)) {
                        stats(ex);
                    }
                }
                default -> text(ex, 404, "not found\n");
            }
        } catch (IOException e) {
            // the browser went away
        } catch (RuntimeException e) {
            log.warn("web-request-failed", "error", e.toString());
        }
    }

    /** The token from ?token= or the X-Token header, compared in constant time. */
    private boolean authorized(HttpExchange ex) throws IOException {
        String given = ex.getRequestHeaders().getFirst("X-Token");
        if (given == null) {
            given = query(ex).get("token");
        }
        boolean ok = given != null && MessageDigest.isEqual(tokenBytes, given.getBytes(StandardCharsets.US_ASCII));
        if (!ok) {
            int n = denied.incrementAndGet();
            if (n <= 10 || n % 100 == 0) {
                log.warn("web-denied", "path", ex.getRequestURI().getPath(), "reason",
                        given == null ? "no token" : "wrong token", "count", n);
            }
            text(ex, 403, given == null ? "token required: open the URL with ?token= printed at start"
                    + " (also in STATE_DIR/web-token)\n" : "wrong token\n");
        }
        return ok;
    }

    private static Map<String, String> query(HttpExchange ex) {
        Map<String, String> out = new HashMap<>();
        String q = ex.getRequestURI().getRawQuery();
        if (q == null || q.length() > 2048) {
            return out;
        }
        for (String part : q.split("&")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                out.putIfAbsent(URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static void securityHeaders(HttpExchange ex) {
        var h = ex.getResponseHeaders();
        h.set("Content-Security-Policy", CSP);
        h.set("X-Content-Type-Options", "nosniff");
        h.set("X-Frame-Options", "DENY");
        h.set("Referrer-Policy", "no-referrer");
        h.set("Cache-Control", "no-store");
    }

    private static void text(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        securityHeaders(ex);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    private static void json(HttpExchange ex, int status, Object value) throws IOException {
        byte[] b = Json.mapper().writeValueAsBytes(value);
        securityHeaders(ex);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    private static void resource(HttpExchange ex, String name, String type) throws IOException {
        byte[] b;
        try (InputStream in = WebConsole.class.getResourceAsStream("/web/" + name)) {
            if (in == null) {
                text(ex, 500, "missing resource " + name + "\n");
                return;
            }
            b = in.readAllBytes();
        }
        securityHeaders(ex);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(200, b.length);
        ex.getResponseBody().write(b);
    }

    private int consoleParam(HttpExchange ex) {
        try {
            int c = Integer.parseInt(query(ex).getOrDefault("console", "0"));
            return c >= 0 && c < 1024 ? c : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The SSE stream of one viewer: state, size, changed rectangles, pointer, helper panel. */
    private void events(HttpExchange ex) throws IOException {
        if (!viewers.tryAcquire()) {
            text(ex, 503, "too many viewers (at most " + MAX_VIEWERS + ")\n");
            return;
        }
        int console = consoleParam(ex);
        panel.refreshSoon();
        securityHeaders(ex);
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        ConsoleDisplay subscribed = null;
        DirtyRegion region = null;
        String lastState = "";
        long panelVersion = -1;
        long lastBeat = System.nanoTime();
        try {
            while (!closed) {
                String state = stateJson();
                if (!state.equals(lastState)) {
                    send(out, "state", state);
                    lastState = state;
                }
                ConsoleDisplay d = display.display(console).orElse(null);
                if (d != null && d != subscribed && !display.frameIsCurrent(console)) {
                    Thread.sleep(20); // first paint only once the frame is the screen (README)
                    continue;
                }
                if (d != subscribed) {
                    if (subscribed != null) {
                        subscribed.unsubscribe(region);
                    }
                    subscribed = d;
                    region = d == null ? null : d.subscribe();
                    if (d == null) {
                        send(out, "size", "{\"w\":0,\"h\":0}");
                    }
                }
                if (panel.version() != panelVersion) {
                    panelVersion = panel.version();
                    send(out, "helpers", panel.snapshot());
                }
                if (region == null) {
                    Thread.sleep(250);
                } else if (subscribed.width() != 0 && !subscribed.complete()) {
                    Thread.sleep(20); // resized, rows of the new surface still coming: no stale pixels
                } else {
                    Damage dmg = region.await(250);
                    if (!dmg.isEmpty()) {
                        push(out, subscribed, dmg);
                    }
                }
                if (System.nanoTime() - lastBeat > 15_000_000_000L) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    lastBeat = System.nanoTime();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (subscribed != null) {
                subscribed.unsubscribe(region);
            }
            viewers.release();
        }
    }

    private String stateJson() throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", display.state().name().toLowerCase(java.util.Locale.ROOT));
        m.put("refusal", display.refusal());
        m.put("vm", display.vm().map(v -> v.name()).orElse(""));
        m.put("consoles", display.consoles().stream().map(c -> Map.of("id", c.id(), "label", c.label())).toList());
        return Json.mapper().writeValueAsString(m);
    }

    private void push(OutputStream out, ConsoleDisplay d, Damage dmg) throws IOException {
        long t = dmg.sinceNanos();
        if (dmg.resized()) {
            send(out, "size", "{\"w\":" + dmg.width() + ",\"h\":" + dmg.height() + "}");
        }
        for (Rect r : dmg.rects()) {
            ConsoleDisplay.Frame f = d.region(r);
            if (f == null) {
                continue;
            }
            Rect c = r.clip(d.width(), d.height());
            String png = Base64.getEncoder().encodeToString(FastPng.encode(f));
            send(out, "rect", "{\"x\":" + c.x() + ",\"y\":" + c.y() + ",\"w\":" + f.width() + ",\"h\":" + f.height()
                    + ",\"t\":" + t + ",\"png\":\"" + png + "\"}");
        }
        if (t > 0 && !dmg.rects().isEmpty()) {
            long now = System.nanoTime();
            pushed.add(now - t, now);
        }
        if (dmg.cursorChanged()) {
            ConsoleDisplay.Pointer p = d.pointer();
            CursorImage ci = d.cursor();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("x", p.x());
            m.put("y", p.y());
            m.put("visible", p.visible());
            if (ci != null) {
                m.put("w", ci.width());
                m.put("h", ci.height());
                m.put("hx", ci.hotX());
                m.put("hy", ci.hotY());
                m.put("png", Base64.getEncoder().encodeToString(PngCodec.encodeArgb(ci.width(), ci.height(), ci.argb())));
            }
            send(out, "cursor", Json.mapper().writeValueAsString(m));
        }
    }

    private static void send(OutputStream out, String event, String data) throws IOException {
        // data is one line of JSON (no raw newlines), so one "data:" field carries it
        out.write(("event: " + event + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private JsonNode body(HttpExchange ex) throws IOException {
        if (!"POST".equals(ex.getRequestMethod())) {
            text(ex, 405, "POST only\n");
            return null;
        }
        byte[] b = ex.getRequestBody().readNBytes(MAX_BODY + 1);
        if (b.length > MAX_BODY) {
            text(ex, 413, "body larger than " + MAX_BODY + " bytes\n");
            return null;
        }
        try {
            return Json.mapper().readTree(b);
        } catch (IOException e) {
            text(ex, 400, "body is not JSON\n");
            return null;
        }
    }

    /** Keyboard and mouse from the page: {kind: key|button|move|wheel, ...}. */
    private void input(HttpExchange ex) throws IOException {
        JsonNode n = body(ex);
        if (n == null) {
            return;
        }
        int console = n.path("console").asInt(0);
        String kind = n.path("kind").asText("");
        try {
            switch (kind) {
                case "key" -> {
                    Optional<Integer> q = Qnum.fromBrowserCode(n.path("code").asText(""));
                    if (q.isEmpty()) {
                        text(ex, 400, "unknown key code\n");
                        return;
                    }
                    boolean down = n.path("down").asBoolean(false);
                    display.keys(console, List.of(down ? KeyEvent.press(q.get()) : KeyEvent.release(q.get())));
                }
                case "button" -> {
                    int b = n.path("button").asInt(-1);
                    // MouseEvent.button 0/1/2 = left/middle/right = QEMU InputButton 0/1/2
                    if (b < 0 || b > 2) {
                        text(ex, 400, "button must be 0, 1 or 2\n");
                        return;
                    }
                    Display1.Mouse m = display.mouse(console);
                    if (n.path("down").asBoolean(false)) {
                        m.Press(new UInt32(b));
                    } else {
                        m.Release(new UInt32(b));
                    }
                }
                case "wheel" -> {
                    int button = n.path("dy").asInt(0) < 0 ? 3 : 4; // InputButton wheel-up / wheel-down
                    Display1.Mouse m = display.mouse(console);
                    m.Press(new UInt32(button));
                    m.Release(new UInt32(button));
                }
                case "move" -> move(console, n);
                default -> {
                    text(ex, 400, "kind must be key, button, move or wheel\n");
                    return;
                }
            }
            text(ex, 200, "ok\n");
        } catch (DisplayUnavailableException e) {
            text(ex, 409, e.getMessage() + "\n");
        } catch (org.freedesktop.dbus.exceptions.DBusExecutionException e) {
            text(ex, 502, "QEMU refused: " + e.getMessage() + "\n");
        }
    }

    /** Absolute when the console's Mouse.IsAbsolute says so (checked at most every few moves), else relative. */
    private void move(int console, JsonNode n) throws DisplayUnavailableException {
        Display1.Mouse m = display.mouse(console);
        boolean abs = absolute.computeIfAbsent(console, c -> isAbsolute(c));
        if (n.path("refresh").asBoolean(false)) {
            abs = isAbsolute(console);
            absolute.put(console, abs);
        }
        if (abs) {
            ConsoleDisplay d = display.display(console).orElseThrow(
                    () -> new DisplayUnavailableException("no console " + console));
            int x = Math.max(0, Math.min(d.width() - 1, n.path("x").asInt(0)));
            int y = Math.max(0, Math.min(d.height() - 1, n.path("y").asInt(0)));
            m.SetAbsPosition(new UInt32(x), new UInt32(y));
        } else {
            int dx = Math.max(-4096, Math.min(4096, n.path("dx").asInt(0)));
            int dy = Math.max(-4096, Math.min(4096, n.path("dy").asInt(0)));
            if (dx != 0 || dy != 0) {
                m.RelMotion(dx, dy);
            }
        }
    }

    private boolean isAbsolute(int console) {
        try {
            return display.mouseIsAbsolute(console);
        } catch (DisplayUnavailableException e) {
            return false;
        }
    }

    /**
     * The page drew rectangles carrying server times t, each ageMs before it sent this batch:
     * record Update-to-pixels latency (arrival - t - age; the batching delay is not counted).
     */
    private void ack(HttpExchange ex) throws IOException {
        JsonNode n = body(ex);
        if (n == null) {
            return;
        }
        long now = System.nanoTime();
        for (JsonNode a : n.path("acks")) {
            long t = a.path("t").asLong(0);
            long age = (long) (a.path("ageMs").asDouble(0) * 1e6);
            long lat = now - t - Math.max(0, age);
            if (t > 0 && t <= now && lat >= 0 && lat < 60_000_000_000L) {
                latency.add(lat, now - Math.max(0, age));
            }
        }
        text(ex, 200, "ok\n");
    }

    private void stats(HttpExchange ex) throws IOException {
        if (query(ex).containsKey("reset")) {
            latency.reset();
            pushed.reset();
        }
        double[] s = latency.summary();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("samples", (long) s[0]);
        m.put("medianMs", s[1]);
        m.put("p95Ms", s[2]);
        m.put("fps", s[3]);
        double[] p = pushed.summary();
        m.put("serverPushMedianMs", p[1]);
        m.put("serverPushP95Ms", p[2]);
        display.display(consoleParam(ex)).ifPresent(d -> {
            m.put("qemuUpdates", d.updates());
            m.put("rejected", d.rejected());
        });
        json(ex, 200, m);
    }

    @Override
    public void close() {
        closed = true;
        server.stop(0);
        pool.shutdownNow();
        panel.close();
        try {
            directory.close();
        } catch (Exception e) {
            // closing anyway
        }
    }
}
