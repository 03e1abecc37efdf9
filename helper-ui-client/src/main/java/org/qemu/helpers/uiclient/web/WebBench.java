package org.qemu.helpers.uiclient.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.qemu.helpers.uiclient.display.DisplayClient;

/**
 * The benchmark's endpoints (bench/run.sh), served only when the helper runs with
 * {@code -D}{@value #PROPERTY}{@code =true}: {@code POST /ack} (the page with {@code ?bench=1}
 * reports which rectangles it drew) and {@code GET /stats} (Update-to-canvas latency, the
 * server's own push time, QEMU's Update count), both behind the token like everything else.
 */
final class WebBench {
    /** The system property that turns the endpoints on (off by default). */
    static final String PROPERTY = "org.qemu.helpers.uiclient.webBench";

    private final DisplayClient display;
    private final LatencyStats latency = new LatencyStats();
    private final LatencyStats pushed = new LatencyStats();

    WebBench(DisplayClient display) {
        this.display = display;
    }

    /** A viewer wrote rectangles of Updates first seen at {@code sinceNanos} to its stream. */
    void pushed(long sinceNanos) {
        long now = System.nanoTime();
        pushed.add(now - sinceNanos, now);
    }

    /**
     * The page drew rectangles carrying server times t, each ageMs before it sent this batch:
     * record Update-to-pixels latency (arrival - t - age; the batching delay is not counted).
     */
    void ack(HttpExchange ex) throws IOException {
        JsonNode n = Http.jsonBody(ex);
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
        Http.text(ex, 200, "ok\n");
    }

    void stats(HttpExchange ex) throws IOException {
        if (Http.query(ex).containsKey("reset")) {
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
        display.display(Http.consoleParam(ex)).ifPresent(d -> {
            m.put("qemuUpdates", d.updates());
            m.put("rejected", d.rejected());
        });
        Http.json(ex, 200, m);
    }
}
