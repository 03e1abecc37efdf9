package org.qemu.helpers.common.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's headless Chromium driven over the DevTools protocol (a WebSocket, JDK
 * java.net.http): navigate, evaluate JavaScript, dispatch real key events, take screenshots.
 * One page per instance; the browser and its profile directory are removed on close.
 */
public final class Chromium implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DEVTOOLS = Pattern.compile("DevTools listening on (ws://\\S+)");

    private final Process process;
    private final Path profile;
    private final WebSocket ws;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final StringBuilder partial = new StringBuilder();

    private Chromium(Process process, Path profile, WebSocket ws) {
        this.process = process;
        this.profile = profile;
        this.ws = ws;
    }

    public static Chromium start() throws Exception {
        Path exe = Tools.require("chromium", "chromium");
        Path profile = Files.createTempDirectory("ui-client-chromium");
        Process p = new ProcessBuilder(exe.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--mute-audio",
                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                "--user-data-dir=" + profile, "--window-size=1280,800", "about:blank")
                .redirectErrorStream(true).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> browserWs = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = r.readLine()) != null) {
                    Matcher m = DEVTOOLS.matcher(line);
                    if (m.find()) {
                        return m.group(1);
                    }
                }
            } catch (IOException e) {
                // fall through
            }
            return null;
        });
        String url;
        try {
            url = browserWs.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            url = null;
        }
        if (url == null) {
            p.destroyForcibly();
            throw new IOException("chromium did not print its DevTools address");
        }
        // keep draining its output so it never blocks on a full pipe
        Thread drain = new Thread(() -> {
            try {
                while (r.readLine() != null) {
                    // discard
                }
            } catch (IOException e) {
                // gone
            }
        });
        drain.setDaemon(true);
        drain.start();
        URI browser = URI.create(url);
        HttpClient http = HttpClient.newHttpClient();
        String list = http.send(HttpRequest.newBuilder(URI.create("http://" + browser.getAuthority() + "/json/list"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        String pageWs = null;
        for (JsonNode t : JSON.readTree(list)) {
            if ("page".equals(t.path("type").asText())) {
                pageWs = t.path("webSocketDebuggerUrl").asText();
                break;
            }
        }
        if (pageWs == null) {
            p.destroyForcibly();
            throw new IOException("chromium has no page target: " + list);
        }
        Chromium[] self = new Chromium[1];
        WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(pageWs), new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                self[0].onText(data, last);
                webSocket.request(1);
                return null;
            }
        }).get(10, TimeUnit.SECONDS);
        self[0] = new Chromium(p, profile, ws);
        return self[0];
    }

    private synchronized void onText(CharSequence data, boolean last) {
        partial.append(data);
        if (!last) {
            return;
        }
        String msg = partial.toString();
        partial.setLength(0);
        try {
            JsonNode n = JSON.readTree(msg);
            if (n.has("id")) {
                CompletableFuture<JsonNode> f = pending.remove(n.get("id").asInt());
                if (f != null) {
                    f.complete(n);
                }
            }
        } catch (IOException e) {
            // not JSON: ignore
        }
    }

    /** Send a DevTools command and return its "result" (throws on a protocol error). */
    public JsonNode call(String method, Map<String, Object> params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        pending.put(id, f);
        ws.sendText(JSON.writeValueAsString(Map.of("id", id, "method", method, "params", params)), true)
                .get(10, TimeUnit.SECONDS);
        JsonNode n = f.get(30, TimeUnit.SECONDS);
        if (n.has("error")) {
            throw new IOException(method + ": " + n.get("error"));
        }
        return n.path("result");
    }

    public void navigate(String url) throws Exception {
        call("Page.navigate", Map.of("url", url));
    }

    /** Evaluate an expression in the page; returns its value as JSON (promises are awaited). */
    public JsonNode eval(String expression) throws Exception {
        JsonNode r = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true,
                "awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new IOException("page threw: " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    /** Poll an expression until it is true (errors while the page loads count as false). */
    public boolean waitFor(String expression, Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            try {
                if (eval(expression).asBoolean(false)) {
                    return true;
                }
            } catch (IOException e) {
                // the page is still loading (e.g. no body yet): try again
            }
            Thread.sleep(100);
        }
        return eval(expression).asBoolean(false);
    }

    /** A real key press and release through the browser's input pipeline (KeyboardEvent.code). */
    public void key(String code, String key, int windowsKeyCode) throws Exception {
        for (String type : new String[] {"rawKeyDown", "keyUp"}) {
            call("Input.dispatchKeyEvent", Map.of("type", type, "code", code, "key", key,
                    "windowsVirtualKeyCode", windowsKeyCode));
        }
    }

    /** A real mouse event at page coordinates (type: mouseMoved, mousePressed, mouseReleased). */
    public void mouse(String type, double x, double y, String button) throws Exception {
        call("Input.dispatchMouseEvent", Map.of("type", type, "x", x, "y", y, "button", button,
                "buttons", type.equals("mousePressed") ? 1 : 0, "clickCount", 1));
    }

    public void screenshot(Path png) throws Exception {
        JsonNode r = call("Page.captureScreenshot", Map.of("format", "png"));
        Files.createDirectories(png.getParent());
        Files.write(png, Base64.getDecoder().decode(r.path("data").asText()));
    }

    @Override
    public void close() {
        try {
            ws.abort();
        } catch (RuntimeException e) {
            // closing anyway
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        PrivateBus.deleteTree(profile);
    }
}
