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
 * KeyboardEvent.code values mapped to qnum; {@link #parse} range-checks everything, free of I/O,
 * before anything is sent.
 */
final class WebInput {
    /** Largest relative motion of one event, each axis (a browser reports a few hundred at most). */
    static final int MAX_MOTION = 4096;
    /** Largest absolute coordinate taken from the page (clamped again to the console's surface). */
    static final int MAX_POSITION = 65535;

    /** One input event the page sent, checked: what {@link #handle} sends to QEMU. */
    sealed interface Event {
        int console();
    }

    record Key(int console, int qnum, boolean down) implements Event {
    }

    /** MouseEvent.button 0/1/2 = left/middle/right = QEMU InputButton 0/1/2. */
    record Button(int console, int button, boolean down) implements Event {
    }

    /** A wheel step: InputButton 3 (wheel-up) or 4 (wheel-down), pressed and released. */
    record Wheel(int console, int button) implements Event {
    }

    /** A move: x/y for an absolute pointer, dx/dy for a relative one; refresh re-reads Mouse.IsAbsolute. */
    record Move(int console, int x, int y, int dx, int dy, boolean refresh) implements Event {
    }

    /** An input body refused (answered 400 with the message); nothing of it was sent. */
    static final class RejectedInput extends Exception {
        RejectedInput(String message) {
            super(message);
        }
    }

    private final DisplayClient display;
    /** Mouse.IsAbsolute per console, read once and again when the page asks (move with refresh). */
    private final Map<Integer, Boolean> absolute = new ConcurrentHashMap<>();

    WebInput(DisplayClient display) {
        this.display = display;
    }

    void handle(HttpExchange ex) throws IOException {
        byte[] body = Http.postBody(ex);
        if (body == null) {
            return;
        }
        Event event;
        try {
            event = parse(body);
        } catch (RejectedInput e) {
            Http.text(ex, 400, e.getMessage() + "\n");
            return;
        }
        try {
            send(event);
            Http.text(ex, 200, "ok\n");
        } catch (DisplayUnavailableException e) {
            Http.text(ex, 409, e.getMessage() + "\n");
        } catch (DBusExecutionException e) {
            Http.text(ex, 502, "QEMU refused: " + e.getMessage() + "\n");
        }
    }

    /**
     * The event in a POST body of at most {@link Http#MAX_BODY} bytes; {@link RejectedInput} (with a fixed message,
     * nothing of the body) when it is not JSON, names no known kind, or a field is out of range.
     */
    static Event parse(byte[] body) throws RejectedInput {
        if (body.length > Http.MAX_BODY) {
            throw new RejectedInput("body larger than " + Http.MAX_BODY + " bytes");
        }
        JsonNode n;
        try {
            n = Json.mapper().readTree(body);
        } catch (IOException e) {
            throw new RejectedInput("body is not JSON");
        }
        if (n == null || !n.isObject()) {
            throw new RejectedInput("body is not a JSON object");
        }
        JsonNode c = n.path("console");
        int console = c.isMissingNode() ? 0 : c.canConvertToInt() ? c.asInt() : -1;
        if (console < 0 || console >= Http.MAX_CONSOLES) {
            throw new RejectedInput("console must be 0.." + (Http.MAX_CONSOLES - 1));
        }
        switch (n.path("kind").asText("")) {
            case "key" -> {
                Optional<Integer> q = Qnum.fromBrowserCode(n.path("code").asText(""));
                if (q.isEmpty()) {
                    throw new RejectedInput("unknown key code");
                }
                return new Key(console, q.get(), n.path("down").asBoolean(false));
            }
            case "button" -> {
                int b = n.path("button").asInt(-1);
                if (b < 0 || b > 2) {
                    throw new RejectedInput("button must be 0, 1 or 2");
                }
                return new Button(console, b, n.path("down").asBoolean(false));
            }
            case "wheel" -> {
                return new Wheel(console, n.path("dy").asInt(0) < 0 ? 3 : 4);
            }
            case "move" -> {
                return new Move(console, clamp(n.path("x").asInt(0), 0, MAX_POSITION),
                        clamp(n.path("y").asInt(0), 0, MAX_POSITION), clamp(n.path("dx").asInt(0), -MAX_MOTION,
                        MAX_MOTION), clamp(n.path("dy").asInt(0), -MAX_MOTION, MAX_MOTION),
                        n.path("refresh").asBoolean(false));
            }
            default -> throw new RejectedInput("kind must be key, button, move or wheel");
        }
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private void send(Event event) throws DisplayUnavailableException {
        int console = event.console();
        if (event instanceof Key k) {
            display.keys(console, List.of(k.down() ? KeyEvent.press(k.qnum()) : KeyEvent.release(k.qnum())));
        } else if (event instanceof Button b) {
            Display1.Mouse m = display.mouse(console);
            if (b.down()) {
                m.Press(new UInt32(b.button()));
            } else {
                m.Release(new UInt32(b.button()));
            }
        } else if (event instanceof Wheel w) {
            Display1.Mouse m = display.mouse(console);
            m.Press(new UInt32(w.button()));
            m.Release(new UInt32(w.button()));
        } else if (event instanceof Move mv) {
            move(mv);
        }
    }

    /** Absolute when the console's Mouse.IsAbsolute says so (checked at most every few moves), else relative. */
    private void move(Move mv) throws DisplayUnavailableException {
        int console = mv.console();
        Display1.Mouse m = display.mouse(console);
        boolean abs = absolute.computeIfAbsent(console, c -> isAbsolute(c));
        if (mv.refresh()) {
            abs = isAbsolute(console);
            absolute.put(console, abs);
        }
        if (abs) {
            ConsoleDisplay d = display.display(console).orElseThrow(
                    () -> new DisplayUnavailableException("no console " + console));
            m.SetAbsPosition(new UInt32(clamp(mv.x(), 0, d.width() - 1)), new UInt32(clamp(mv.y(), 0, d.height() - 1)));
        } else if (mv.dx() != 0 || mv.dy() != 0) {
            m.RelMotion(mv.dx(), mv.dy());
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
