package org.qemu.helpers.uiclient.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** The web console's replies (always with the security headers) and request parsing, bounded. */
final class Http {
    /** Largest POST body read (an input event or a batch of bench acknowledgements). */
    static final int MAX_BODY = 4096;
    static final int MAX_QUERY = 2048;
    /** Console ids a client may name (QEMU numbers its consoles from 0; far fewer exist). */
    static final int MAX_CONSOLES = 1024;
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src data:;"
            + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private Http() {
    }

    /** The query parameters of the request (see {@link #query(String)}). */
    static Map<String, String> query(HttpExchange ex) {
        return query(ex.getRequestURI().getRawQuery());
    }

    /**
     * The parameters of a raw query string (the first of each name), none if it is absent or longer than
     * {@value #MAX_QUERY} characters; a pair whose percent-escapes are malformed (RFC 3986 2.1; the JDK's server
     * refuses such a request line before a handler runs, this keeps the parse total on its own) is skipped.
     */
    static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.length() > MAX_QUERY) {
            return out;
        }
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                try {
                    out.putIfAbsent(URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException malformedEscape) {
                    // skipped: the parameter is absent
                }
            }
        }
        return out;
    }

    /** The {@code console} query parameter (0..1023), 0 if absent or not a number. */
    static int consoleParam(HttpExchange ex) {
        return consoleParam(query(ex));
    }

    /** The {@code console} parameter of parsed query parameters (0..1023), 0 if absent or not a number. */
    static int consoleParam(Map<String, String> query) {
        try {
            int c = Integer.parseInt(query.getOrDefault("console", "0"));
            return c >= 0 && c < MAX_CONSOLES ? c : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static void securityHeaders(HttpExchange ex) {
        var h = ex.getResponseHeaders();
        h.set("Content-Security-Policy", CSP);
        h.set("X-Content-Type-Options", "nosniff");
        h.set("X-Frame-Options", "DENY");
        h.set("Referrer-Policy", "no-referrer");
        h.set("Cache-Control", "no-store");
    }

    static void text(HttpExchange ex, int status, String body) throws IOException {
        send(ex, status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    static void json(HttpExchange ex, int status, Object value) throws IOException {
        send(ex, status, "application/json", Json.mapper().writeValueAsBytes(value));
    }

    /** One of the page's files from the jar's /web/ resources. */
    static void resource(HttpExchange ex, String name, String type) throws IOException {
        byte[] b;
        try (InputStream in = Http.class.getResourceAsStream("/web/" + name)) {
            if (in == null) {
                text(ex, 500, "missing resource " + name + "\n");
                return;
            }
            b = in.readAllBytes();
        }
        send(ex, 200, type, b);
    }

    private static void send(HttpExchange ex, int status, String type, byte[] b) throws IOException {
        securityHeaders(ex);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    /**
     * The body of a POST of at most {@link #MAX_BODY} bytes, or null after replying 405 (not a POST) or 413 (too
     * large).
     */
    static byte[] postBody(HttpExchange ex) throws IOException {
        if (!"POST".equals(ex.getRequestMethod())) {
            text(ex, 405, "POST only\n");
            return null;
        }
        byte[] b = ex.getRequestBody().readNBytes(MAX_BODY + 1);
        if (b.length > MAX_BODY) {
            text(ex, 413, "body larger than " + MAX_BODY + " bytes\n");
            return null;
        }
        return b;
    }

    /**
     * The JSON body of a POST of at most {@link #MAX_BODY} bytes, or null after replying 405
     * (not a POST), 413 (too large) or 400 (not JSON).
     */
    static JsonNode jsonBody(HttpExchange ex) throws IOException {
        byte[] b = postBody(ex);
        if (b == null) {
            return null;
        }
        try {
            return Json.mapper().readTree(b);
        } catch (IOException e) {
            text(ex, 400, "body is not JSON\n");
            return null;
        }
    }
}
