package org.qemu.helpers.uiclient.web;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.sun.net.httpserver.Headers;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.qemu.helpers.uiclient.display.UiLog;
import org.qemu.helpers.uiclient.engine.Qnum;

/**
 * Fuzz targets (Jazzer) for what the web console reads from a client (any local process can connect to its
 * loopback port, and any web page can make the browser send to it): the request as the JDK's HTTP server hands
 * it over (method, request target, headers, body; the input is the raw request, split here as that server
 * splits it), through the gate ({@link WebGate#admit(com.sun.net.httpserver.HttpExchange)}: Host, X-Token, the
 * query's token), the query parameters ({@link Http#query(String)}), the POST body read ({@link Http#postBody})
 * and the input event parsed from it ({@link WebInput#parse}). The test suite replays the committed corpus;
 * {@code deploy/fuzz.sh MINUTES} fuzzes for real.
 *
 * <p>Properties: nothing but {@link WebInput.RejectedInput} is thrown; a request gets past the gate only with
 * our Host and (for all but the static files) the exact token; a refused request is answered with its fixed
 * status and text (nothing of the request echoed) and goes no further; denials are logged at most 10 + 1/100;
 * an accepted input event is in range (a known qnum, button 0-2, wheel 3/4, bounded moves, console 0-1023).
 */
class WebRequestsFuzzTest {
    /** A token as TokenFile makes them (43 base64url characters); the corpus carries it. */
    static final String TOKEN = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz0_-";
    private static final Set<String> OUR_HOSTS = Set.of("127.0.0.1:8090", "localhost:8090");
    private static final AtomicInteger WARNINGS = new AtomicInteger();
    private static final WebGate GATE = new WebGate(TOKEN, "127.0.0.1", 8090, new UiLog() {
        @Override
        public void info(String event, Object... kv) {
        }

        @Override
        public void warn(String event, Object... kv) {
            WARNINGS.incrementAndGet();
        }
    });
    private static final Set<Integer> QNUMS = Set.copyOf(Qnum.browserCodes().values());

    @FuzzTest
    void request(byte[] raw) throws Exception {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        String head = headEnd < 0 ? text : text.substring(0, headEnd);
        byte[] body = headEnd < 0 ? new byte[0] : Arrays.copyOfRange(raw, headEnd + 4, raw.length);
        String[] lines = head.split("\r?\n", -1);
        // the start line as sun.net.httpserver reads it: METHOD SP TARGET SP VERSION, else it answers 400 itself
        int sp1 = lines[0].indexOf(' ');
        int sp2 = sp1 < 0 ? -1 : lines[0].indexOf(' ', sp1 + 1);
        if (sp1 <= 0 || sp2 < 0) {
            return;
        }
        String method = lines[0].substring(0, sp1);
        URI uri;
        try {
            uri = new URI(lines[0].substring(sp1 + 1, sp2));
        } catch (URISyntaxException e) {
            return; // the JDK server answers 400 before any handler runs (malformed %-escapes included)
        }
        if (uri.getPath() == null || !uri.getPath().startsWith("/")) {
            return; // no context of the JDK server matches (an opaque or relative target): it never reaches us
        }
        Headers headers = new Headers();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                try {
                    headers.add(lines[i].substring(0, colon), lines[i].substring(colon + 1).strip());
                } catch (IllegalArgumentException e) {
                    // a header the JDK's Headers refuses never reaches a handler
                }
            }
        }
        MemoryExchange ex = new MemoryExchange(method, uri, headers, body);
        int deniedBefore = GATE.denied();
        boolean admitted = GATE.admit(ex);
        int denied = GATE.denied();
        int allowedWarnings = Math.min(denied, 10) + denied / 100;
        if (WARNINGS.get() > allowedWarnings) {
            throw new IllegalStateException(WARNINGS.get() + " denial lines logged for " + denied + " denials");
        }

        String host = headers.getFirst("Host");
        String path = uri.getPath();
        boolean isPublic = "/app.js".equals(path) || "/app.css".equals(path);
        String header = headers.getFirst("X-Token");
        boolean exactToken = header != null ? header.equals(TOKEN) : TOKEN.equals(firstToken(uri.getRawQuery()));
        boolean shouldPass = host != null && OUR_HOSTS.contains(host) && (isPublic || exactToken);
        if (admitted != shouldPass) {
            throw new IllegalStateException((admitted ? "admitted" : "refused") + " Host=" + host + " path=" + path
                    + " X-Token=" + header + " query=" + uri.getRawQuery());
        }
        if (!admitted) {
            WebGate.Refusal expected = host == null || !OUR_HOSTS.contains(host) ? WebGate.WRONG_HOST
                    : (header == null && firstToken(uri.getRawQuery()) == null) ? WebGate.NO_TOKEN : WebGate.WRONG_TOKEN;
            if (ex.status() != expected.status()
                    || !Arrays.equals(ex.responseBody(), expected.text().getBytes(StandardCharsets.UTF_8))) {
                throw new IllegalStateException("refused with " + ex.status() + " '"
                        + new String(ex.responseBody(), StandardCharsets.UTF_8) + "', expected " + expected);
            }
            if (ex.getResponseHeaders().getFirst("Content-Security-Policy") == null) {
                throw new IllegalStateException("a refusal without the security headers");
            }
            if ((expected != WebGate.WRONG_HOST) != (denied == deniedBefore + 1)) {
                throw new IllegalStateException("denial counted " + (denied - deniedBefore) + " times for " + expected);
            }
            return; // refused: nothing further is read
        }
        if (ex.status() != -1 || denied != deniedBefore) {
            throw new IllegalStateException("an admitted request was answered (" + ex.status() + ") or counted denied");
        }
        Map<String, String> query = Http.query(uri.getRawQuery());
        checkQuery(uri.getRawQuery(), query);
        int console = Http.consoleParam(query);
        if (console < 0 || console >= Http.MAX_CONSOLES) {
            throw new IllegalStateException("console parameter " + console);
        }
        if ("/input".equals(path)) {
            byte[] posted = Http.postBody(ex);
            boolean post = method.equals("POST");
            int wantStatus = !post ? 405 : body.length > Http.MAX_BODY ? 413 : -1;
            if (ex.status() != wantStatus || (posted == null) != (wantStatus != -1)) {
                throw new IllegalStateException("POST body read answered " + ex.status() + ", expected " + wantStatus);
            }
            if (posted != null) {
                if (!Arrays.equals(posted, body)) {
                    throw new IllegalStateException("the body read is not the body sent");
                }
                inputEvent(posted);
            }
        }
    }

    @FuzzTest
    void inputEvent(byte[] body) {
        WebInput.Event e;
        try {
            e = WebInput.parse(body);
        } catch (WebInput.RejectedInput refused) {
            if (refused.getMessage().length() > 80) {
                throw new IllegalStateException("a refusal message of " + refused.getMessage().length() + " chars");
            }
            return; // the only allowed failure: answered 400, nothing sent
        }
        if (body.length > Http.MAX_BODY) {
            throw new IllegalStateException("accepted a body of " + body.length + " bytes");
        }
        if (e.console() < 0 || e.console() >= Http.MAX_CONSOLES) {
            throw new IllegalStateException("console " + e.console());
        }
        if (e instanceof WebInput.Key k && !QNUMS.contains(k.qnum())) {
            throw new IllegalStateException("qnum " + k.qnum() + " is no key's");
        } else if (e instanceof WebInput.Button b && (b.button() < 0 || b.button() > 2)) {
            throw new IllegalStateException("button " + b.button());
        } else if (e instanceof WebInput.Wheel w && w.button() != 3 && w.button() != 4) {
            throw new IllegalStateException("wheel button " + w.button());
        } else if (e instanceof WebInput.Move m && (Math.abs(m.dx()) > WebInput.MAX_MOTION
                || Math.abs(m.dy()) > WebInput.MAX_MOTION || m.x() < 0 || m.y() < 0
                || m.x() > WebInput.MAX_POSITION || m.y() > WebInput.MAX_POSITION)) {
            throw new IllegalStateException("move " + m);
        }
    }

    /** The query's properties: bounded, absent when too long, never failing. */
    private static void checkQuery(String raw, Map<String, String> query) {
        if (raw == null || raw.length() > Http.MAX_QUERY) {
            if (!query.isEmpty()) {
                throw new IllegalStateException("parameters from an absent or over-long query");
            }
            return;
        }
        if (query.size() > raw.length() / 2 + 1) {
            throw new IllegalStateException(query.size() + " parameters from " + raw.length() + " characters");
        }
        for (Map.Entry<String, String> p : query.entrySet()) {
            if (p.getKey().isEmpty() || p.getKey().length() + p.getValue().length() > raw.length()) {
                throw new IllegalStateException("parameter " + p + " from " + raw);
            }
        }
    }

    /** The oracle's own reading of the first {@code token=} pair whose escapes decode (null if none). */
    private static String firstToken(String raw) {
        if (raw == null || raw.length() > Http.MAX_QUERY) {
            return null;
        }
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            try {
                if (URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8).equals("token")) {
                    return URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
                }
            } catch (IllegalArgumentException malformed) {
                // a pair that does not decode is no parameter
            }
        }
        return null;
    }
}
