package org.qemu.helpers.uiclient.web;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.qemu.helpers.uiclient.display.UiLog;

/**
 * Who may use the web console: a request must name one of our literal addresses in its Host
 * header (DNS rebinding: a page of another origin that resolves its name to 127.0.0.1 still
 * sends its own Host) and, for anything but the page's static files, carry the token (from
 * {@code ?token=} or the {@code X-Token} header, compared in constant time). The decision is
 * {@link #admit(String, String, String, String)}, free of I/O; {@link #admit(HttpExchange)}
 * answers a refused request with it.
 */
final class WebGate {
    /** The page's static files: no secret in them, the page needs them before it has read the token. */
    static final Set<String> PUBLIC_PATHS = Set.of("/app.js", "/app.css");

    /** Why a request goes no further: the status and the fixed text it is answered with (nothing of the request). */
    record Refusal(int status, String text) {
    }

    static final Refusal WRONG_HOST = new Refusal(421, "wrong Host header: open the address the helper printed\n");
    static final Refusal NO_TOKEN = new Refusal(403, "token required: open the URL with ?token= printed at start"
            + " (also in STATE_DIR/web-token)\n");
    static final Refusal WRONG_TOKEN = new Refusal(403, "wrong token\n");

    private final byte[] token;
    private final Set<String> allowedHosts;
    private final UiLog log;
    private final AtomicInteger denied = new AtomicInteger();

    /** {@code hostPart} is the address as it appears in a URL (IPv6 in brackets). */
    WebGate(String token, String hostPart, int port, UiLog log) {
        this.token = token.getBytes(StandardCharsets.US_ASCII);
        this.allowedHosts = Set.of(hostPart + ":" + port, "localhost:" + port);
        this.log = log;
    }

    /** {@link #admit(String, String, String, String)} of the request; a refused one is answered here. */
    boolean admit(HttpExchange ex) throws IOException {
        var headers = ex.getRequestHeaders();
        Refusal r = admit(headers.getFirst("Host"), ex.getRequestURI().getPath(), headers.getFirst("X-Token"),
                ex.getRequestURI().getRawQuery());
        if (r != null) {
            Http.text(ex, r.status(), r.text());
            return false;
        }
        return true;
    }

    /**
     * Null when a request for {@code path} may go on; else why not: a Host header that is not ours (421), then,
     * unless the path is one of {@link #PUBLIC_PATHS}, a missing or wrong token (403; logged, the first ten then
     * every 100th). The token is the {@code X-Token} header if present, else the {@code token} query parameter.
     */
    Refusal admit(String host, String path, String tokenHeader, String rawQuery) {
        if (host == null || !allowedHosts.contains(host)) {
            return WRONG_HOST;
        }
        if (path != null && PUBLIC_PATHS.contains(path)) { // Set.of refuses contains(null)
            return null;
        }
        String given = tokenHeader != null ? tokenHeader : Http.query(rawQuery).get("token");
        if (given != null && MessageDigest.isEqual(token, given.getBytes(StandardCharsets.US_ASCII))) {
            return null;
        }
        int n = denied.incrementAndGet();
        if (n <= 10 || n % 100 == 0) {
            log.warn("web-denied", "path", path, "reason", given == null ? "no token" : "wrong token", "count", n);
        }
        return given == null ? NO_TOKEN : WRONG_TOKEN;
    }

    /** Requests refused for their token so far. */
    int denied() {
        return denied.get();
    }
}
