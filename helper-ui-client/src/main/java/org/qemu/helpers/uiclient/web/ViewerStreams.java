package org.qemu.helpers.uiclient.web;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.qemu.helpers.uiclient.display.DisplayClient;
import org.qemu.helpers.uiclient.engine.ConsoleDisplay;
import org.qemu.helpers.uiclient.engine.CursorImage;
import org.qemu.helpers.uiclient.engine.Damage;
import org.qemu.helpers.uiclient.engine.DirtyRegion;
import org.qemu.helpers.uiclient.engine.FastPng;
import org.qemu.helpers.uiclient.engine.PngCodec;
import org.qemu.helpers.uiclient.engine.Rect;

/**
 * The viewers' event streams ({@code GET /events}, after the gate; HTML Living Standard,
 * "Server-sent events"): per viewer the display state, the console's size, its changed
 * rectangles as PNGs, the pointer and the helper panel. Each viewer's thread sleeps until
 * something it shows changed (a dirty rectangle, an attach or detach, a new panel snapshot) or a
 * keep-alive is due: a still screen costs no wake-ups. Only while the frame is not yet the
 * screen (first paint, README "Which frame is the current frame"; rows of a resized surface
 * still coming) does it poll, 20 ms apart for two seconds, then 250 ms.
 */
final class ViewerStreams implements AutoCloseable {
    static final int MAX_VIEWERS = 8;
    /** A comment line this often lets the server notice a viewer that went away. */
    private static final long KEEP_ALIVE_MS = 15_000;
    private static final long FAST_POLL_MS = 20;
    private static final long SLOW_POLL_MS = 250;
    private static final long FAST_POLL_FOR_NANOS = 2_000_000_000L;

    /** Called with the nanoTime of the oldest Update in each batch of rectangles written (the bench's push time). */
    interface PushListener {
        void pushed(long sinceNanos);
    }

    private final DisplayClient display;
    private final HelperPanel panel;
    private final PushListener pushListener;
    private final Semaphore viewers = new Semaphore(MAX_VIEWERS);
    private final Set<Doorbell> doorbells = ConcurrentHashMap.newKeySet();
    /** Bumped on every attach, detach or refusal: the state event is rebuilt only then. */
    private final AtomicLong displayVersion = new AtomicLong();
    private volatile boolean closed;

    ViewerStreams(DisplayClient display, HelperPanel panel, PushListener pushListener) {
        this.display = display;
        this.panel = panel;
        this.pushListener = pushListener;
        display.onChange(() -> {
            displayVersion.incrementAndGet();
            ringAll();
        });
        panel.onChange(this::ringAll);
    }

    /** Whether any viewer is connected (the helper panel polls only then). */
    boolean anyViewer() {
        return viewers.availablePermits() < MAX_VIEWERS;
    }

    private void ringAll() {
        for (Doorbell d : doorbells) {
            d.ring();
        }
    }

    /** One viewer's stream, on the HTTP thread that serves it, until the viewer goes or the console closes. */
    void serve(HttpExchange ex) throws IOException {
        if (!viewers.tryAcquire()) {
            Http.text(ex, 503, "too many viewers (at most " + MAX_VIEWERS + ")\n");
            return;
        }
        Doorbell bell = new Doorbell();
        doorbells.add(bell);
        ConsoleDisplay subscribed = null;
        DirtyRegion region = null;
        try {
            int console = Http.consoleParam(ex);
            panel.refreshSoon();
            Http.securityHeaders(ex);
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            String lastState = "";
            long stateVersion = -1;
            long panelVersion = -1;
            long lastWrite = System.nanoTime();
            long waitingSince = 0; // when the current wait for the frame to be the screen began, 0 if none
            while (!closed) {
                long version = displayVersion.get();
                if (version != stateVersion) {
                    stateVersion = version;
                    String state = stateJson();
                    if (!state.equals(lastState)) {
                        send(out, "state", state);
                        lastState = state;
                        lastWrite = System.nanoTime();
                    }
                }
                boolean waiting;
                ConsoleDisplay d = display.display(console).orElse(null);
                if (d != null && d != subscribed && !display.frameIsCurrent(console)) {
                    waiting = true; // first paint only once the frame is the screen (README)
                } else {
                    if (d != subscribed) {
                        if (subscribed != null) {
                            subscribed.unsubscribe(region);
                        }
                        subscribed = d;
                        region = d == null ? null : d.subscribe(bell::ring);
                        if (d == null) {
                            send(out, "size", "{\"w\":0,\"h\":0}");
                            lastWrite = System.nanoTime();
                        }
                    }
                    if (panel.version() != panelVersion) {
                        panelVersion = panel.version();
                        send(out, "helpers", panel.snapshot());
                        lastWrite = System.nanoTime();
                    }
                    // resized, rows of the new surface still coming: no stale pixels
                    waiting = region != null && subscribed.width() != 0 && !subscribed.complete();
                    if (region != null && !waiting) {
                        Damage dmg = region.take();
                        if (!dmg.isEmpty()) {
                            push(out, subscribed, dmg);
                            lastWrite = System.nanoTime();
                        }
                    }
                }
                long now = System.nanoTime();
                if (now - lastWrite >= KEEP_ALIVE_MS * 1_000_000L) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    lastWrite = now;
                }
                long sleep = KEEP_ALIVE_MS - (now - lastWrite) / 1_000_000L;
                if (waiting) {
                    waitingSince = waitingSince == 0 ? now : waitingSince;
                    sleep = Math.min(sleep, now - waitingSince < FAST_POLL_FOR_NANOS ? FAST_POLL_MS : SLOW_POLL_MS);
                } else {
                    waitingSince = 0;
                }
                bell.await(Math.max(1, sleep));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (subscribed != null) {
                subscribed.unsubscribe(region);
            }
            doorbells.remove(bell);
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
            pushListener.pushed(t);
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

    /** Ends every stream (their threads see it at their next wake-up, which this causes). */
    @Override
    public void close() {
        closed = true;
        ringAll();
    }

    /** What a viewer's thread sleeps on: rung when anything it shows may have changed. Not lost if rung while awake. */
    private static final class Doorbell {
        private boolean rung;

        synchronized void ring() {
            rung = true;
            notifyAll();
        }

        synchronized void await(long millis) throws InterruptedException {
            long end = System.nanoTime() + millis * 1_000_000L;
            while (!rung) {
                long left = (end - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    break;
                }
                wait(left);
            }
            rung = false;
        }
    }
}
