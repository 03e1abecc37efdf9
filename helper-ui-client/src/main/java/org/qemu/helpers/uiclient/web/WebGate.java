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
 * {@code ?token=} or the {@code X-Token} header, compared in constant time).
 */
final class WebGate {
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

    /** Whether the Host header is ours; if not, the request is answered 421. */
    boolean hostAllowed(HttpExchange ex) throws IOException {
        String host = ex.getRequestHeaders().getFirst("Host");
        if (host == null || !allowedHosts.contains(host)) {
            Http.text(ex, 421, "wrong Host header: open the address the helper printed\n");
            return false;
        }
        return true;
    }

    /** Whether the request carries the token; if not, it is answered 403 (logged, the first ten then every 100th). */
    boolean authorized(HttpExchange ex) throws IOException {
        String given = ex.getRequestHeaders().getFirst("X-Token");
        if (given == null) {
            given = Http.query(ex).get("token");
        }
        boolean ok = given != null && MessageDigest.isEqual(token, given.getBytes(StandardCharsets.US_ASCII));
        if (!ok) {
            int n = denied.incrementAndGet();
            if (n <= 10 || n % 100 == 0) {
                log.warn("web-denied", "path", ex.getRequestURI().getPath(), "reason",
                        given == null ? "no token" : "wrong token", "count", n);
            }
            Http.text(ex, 403, given == null ? "token required: open the URL with ?token= printed at start"
                    + " (also in STATE_DIR/web-token)\n" : "wrong token\n");
        }
        return ok;
    }
}
