package org.qemu.helpers.uiclient.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.types.UInt32;
import org.qemu.helpers.uiclient.display.Display1;
import org.qemu.helpers.uiclient.display.DisplayClient;
import org.qemu.helpers.uiclient.display.DisplayUnavailableException;
import org.qemu.helpers.uiclient.engine.ConsoleDisplay;
import org.qemu.helpers.uiclient.engine.KeyEvent;
import org.qemu.helpers.uiclient.engine.Qnum;

/**
 * The page's keyboard and mouse ({@code POST /input}, after the gate): one JSON event
 * {@code {console, kind: key|button|move|wheel, ...}} per request, sent to QEMU before the reply
 * (the page sends them one at a time, so a press and its release keep their order). Keys are
 * KeyboardEvent.code values mapped to qnum; everything is range-checked before it is sent.
 */
final class WebInput {
    private final DisplayClient display;
    /** Mouse.IsAbsolute per console, read once and again when the page asks (move with refresh). */
    private final Map<Integer, Boolean> absolute = new ConcurrentHashMap<>();

    WebInput(DisplayClient display) {
        this.display = display;
    }

    void handle(HttpExchange ex) throws IOException {
        JsonNode n = Http.jsonBody(ex);
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
                        Http.text(ex, 400, "unknown key code\n");
                        return;
                    }
                    boolean down = n.path("down").asBoolean(false);
                    display.keys(console, List.of(down ? KeyEvent.press(q.get()) : KeyEvent.release(q.get())));
                }
                case "button" -> {
                    int b = n.path("button").asInt(-1);
                    // MouseEvent.button 0/1/2 = left/middle/right = QEMU InputButton 0/1/2
                    if (b < 0 || b > 2) {
                        Http.text(ex, 400, "button must be 0, 1 or 2\n");
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
                    Http.text(ex, 400, "kind must be key, button, move or wheel\n");
                    return;
                }
            }
            Http.text(ex, 200, "ok\n");
        } catch (DisplayUnavailableException e) {
            Http.text(ex, 409, e.getMessage() + "\n");
        } catch (DBusExecutionException e) {
            Http.text(ex, 502, "QEMU refused: " + e.getMessage() + "\n");
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
}
