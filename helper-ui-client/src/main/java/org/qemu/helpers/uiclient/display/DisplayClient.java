package org.qemu.helpers.uiclient.display;

import org.freedesktop.dbus.utils.NameableThreadFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBus;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;
import org.qemu.helpers.uiclient.engine.ConsoleDisplay;
import org.qemu.helpers.uiclient.engine.KeyEvent;

/**
 * The client of QEMU's D-Bus display: follows the owner of {@code org.qemu} (NameOwnerChanged),
 * checks it through the {@link OwnerGate} before anything is shown or sent, reads the VM and
 * console properties, and keeps one registered listener per console. Calls go to QEMU's unique
 * name, so a new owner of {@code org.qemu} never receives what was meant for the checked one.
 */
public final class DisplayClient implements AutoCloseable {
    /** Where the client stands with the current {@code org.qemu} owner. */
    public enum State { NO_QEMU, REFUSED, ATTACHED }

    private static final long REGISTER_TIMEOUT_MS = 15_000;
    /** Attach attempts per owner (QEMU may own the name a moment before its objects answer). */
    private static final int ATTACH_ATTEMPTS = 5;
    /**
     * The pause between two key transitions of one call. QEMU's PS/2 keyboard holds 16 scancode bytes
     * (hw/input/ps2.c PS2_QUEUE_SIZE, "Queue size required by PS/2 protocol") and drops what comes while it is full;
     * sent as fast as D-Bus answers, a guest that reads slowly (TCG on a loaded host, LibvirtDisplayIT) lost the
     * middle of a typed command. 10 ms a transition lets the guest fall 160 ms behind (about 30 characters a second);
     * a long text goes faster so that one call (TypeText) stays within {@link #TYPING_BUDGET_MS}, below the 20 s a
     * D-Bus caller waits by default.
     */
    static final long KEY_INTERVAL_MS = 10;
    static final long TYPING_BUDGET_MS = 15_000;

    private final DBusConnection bus;
    private final OwnerGate gate;
    private final UiLog log;
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(new NameableThreadFactory("ui-client-display-", true));
    /** Engine state per console id; kept across QEMU restarts so viewers stay subscribed. */
    private final Map<Integer, ConsoleDisplay> displays = new ConcurrentHashMap<>();
    private final List<ListenerSession> sessions = new ArrayList<>();
    private AutoCloseable ownerHandler;
    private final List<Runnable> changeListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    private volatile State state = State.NO_QEMU;
    private volatile String refusal = "";
    private volatile VmInfo vm;
    private volatile Map<Integer, Attached> attached = Map.of();

    /**
     * How long after RegisterListener the client's frame may still be older than the screen.
     * QEMU 7.2 hands a new listener the console's surface as it was at the last display refresh,
     * and refreshes only while a listener with a refresh hook is registered: the first listener
     * of a VGA console gets the 640x480 "Guest has not initialized the display" placeholder, and
     * the text-mode surface follows from the first refresh (due at once, then every 30 ms;
     * ui/console.c gui_setup_refresh, GUI_REFRESH_INTERVAL_DEFAULT). Nothing in the protocol
     * says that refresh has happened, so the client waits this long (about 7 refresh periods).
     */
    static final Duration SETTLE = Duration.ofMillis(200);

    private record Attached(ConsoleInfo info, Display1.Keyboard keyboard, Display1.Mouse mouse, String owner,
                            ConsoleDisplay.SurfaceSize size, long registeredNanos) {
    }

    public DisplayClient(DBusConnection bus, OwnerGate gate, UiLog log) {
        this.bus = bus;
        this.gate = gate;
        this.log = log;
    }

    /** Run {@code r} (on the client's thread) after every attach, detach or refusal. */
    public void onChange(Runnable r) {
        changeListeners.add(r);
    }

    private void changed() {
        for (Runnable r : changeListeners) {
            try {
                r.run();
            } catch (RuntimeException e) {
                log.warn("change-listener-failed", "error", e.toString());
            }
        }
    }

    /** Subscribe to owner changes of org.qemu and attach to the current owner, if any. */
    public void start() throws DBusException {
        ownerHandler = bus.addSigHandler(DBus.NameOwnerChanged.class, sig -> {
            if (Display1.BUS_NAME.equals(sig.name)) {
                String next = sig.newOwner;
                worker.execute(() -> follow(next));
            }
        });
        worker.execute(() -> follow(currentOwner().orElse("")));
    }

    private Optional<String> currentOwner() {
        try {
            DBus dbus = bus.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
            return Optional.of(dbus.GetNameOwner(Display1.BUS_NAME));
        } catch (DBusException | DBusExecutionException e) {
            return Optional.empty();
        }
    }

    private volatile String currentOwner = "";

    private void follow(String owner) {
        currentOwner = owner == null ? "" : owner;
        follow(owner, 1);
    }

    private synchronized void follow(String owner, int attempt) {
        if (attempt > 1 && !owner.equals(currentOwner)) {
            return; // a newer owner change superseded this retry
        }
        detach();
        if (owner == null || owner.isEmpty()) {
            log.info("qemu-gone");
            changed();
            return;
        }
        Optional<String> refused = gate.refusal(owner);
        if (refused.isPresent()) {
            refusal = refused.get();
            state = State.REFUSED;
            log.warn("qemu-refused", "owner", owner, "reason", refusal);
            notifyAll();
            changed();
            return;
        }
        try {
            attach(owner);
        } catch (DBusException | DBusExecutionException | java.io.IOException e) {
            detach();
            log.warn("qemu-attach-failed", "owner", owner, "attempt", attempt, "error", e.getMessage());
            if (attempt < ATTACH_ATTEMPTS) {
                worker.schedule(() -> follow(owner, attempt + 1), 1, TimeUnit.SECONDS);
            }
        }
        notifyAll();
        changed();
    }

    private void attach(String owner) throws DBusException, java.io.IOException {
        Properties vmProps = bus.getRemoteObject(owner, Display1.VM_PATH, Properties.class);
        Map<String, Variant<?>> v = vmProps.GetAll(Display1.VM_IFACE);
        List<Integer> ids = new ArrayList<>();
        Object rawIds = value(v, "ConsoleIDs");
        if (rawIds instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof UInt32 u && u.longValue() < 1024) {
                    ids.add(u.intValue());
                }
            }
        }
        VmInfo info = new VmInfo(owner, str(value(v, "Name")), str(value(v, "UUID")), List.copyOf(ids));
        Map<Integer, Attached> next = new ConcurrentHashMap<>();
        for (int id : ids) {
            String path = Display1.consolePath(id);
            Map<String, Variant<?>> c = bus.getRemoteObject(owner, path, Properties.class)
                    .GetAll(Display1.CONSOLE_IFACE);
            ConsoleInfo ci = new ConsoleInfo(id, str(value(c, "Label")), str(value(c, "Type")),
                    num(value(c, "Head")), num(value(c, "Width")), num(value(c, "Height")),
                    str(value(c, "DeviceAddress")));
            ConsoleDisplay display = displays.computeIfAbsent(id, ConsoleDisplay::new);
            Display1.Console console = bus.getRemoteObject(owner, path, Display1.Console.class);
            Properties consoleProps = bus.getRemoteObject(owner, path, Properties.class);
            ConsoleDisplay.SurfaceSize size = () -> {
                Map<String, Variant<?>> now = consoleProps.GetAll(Display1.CONSOLE_IFACE);
                return new long[] {num(value(now, "Width")), num(value(now, "Height"))};
            };
            sessions.add(ListenerSession.register(console, new ListenerAdapter(display, size, log),
                    REGISTER_TIMEOUT_MS, () -> listenerLost(owner, id)));
            next.put(id, new Attached(ci, bus.getRemoteObject(owner, path, Display1.Keyboard.class),
                    bus.getRemoteObject(owner, path, Display1.Mouse.class), owner, size, System.nanoTime()));
            log.info("console-attached", "console", id, "label", ci.label(), "width", ci.width(), "height",
                    ci.height());
        }
        vm = info;
        attached = Collections.unmodifiableMap(next);
        refusal = "";
        state = State.ATTACHED;
        log.info("qemu-attached", "owner", owner, "name", info.name(), "uuid", info.uuid(), "consoles", ids);
    }

    /**
     * A listener connection broke while its QEMU still owns org.qemu: register again (after a
     * second, so that a QEMU that is exiting is seen leaving the bus first).
     */
    private void listenerLost(String owner, int console) {
        log.warn("listener-lost", "owner", owner, "console", console);
        worker.schedule(() -> follow(owner, 2), 1, TimeUnit.SECONDS);
    }

    private void detach() {
        for (ListenerSession s : sessions) {
            s.close();
        }
        sessions.clear();
        attached = Map.of();
        vm = null;
        state = State.NO_QEMU;
    }

    /** Wait until the client is attached (or refused) to a QEMU; returns the state reached. */
    public synchronized State await(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (state == State.NO_QEMU) {
            long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
            if (left <= 0) {
                break;
            }
            wait(Math.min(left, 200));
        }
        return state;
    }

    public State state() {
        return state;
    }

    /** Why the current owner of org.qemu was refused ("" unless state is REFUSED). */
    public String refusal() {
        return refusal;
    }

    public Optional<VmInfo> vm() {
        return Optional.ofNullable(vm);
    }

    /** The consoles of the attached QEMU, by id. */
    public List<ConsoleInfo> consoles() {
        List<ConsoleInfo> out = new ArrayList<>();
        attached.values().forEach(a -> out.add(a.info()));
        out.sort((a, b) -> Integer.compare(a.id(), b.id()));
        return out;
    }

    /** The engine state of a console of the attached QEMU. */
    public Optional<ConsoleDisplay> display(int console) {
        return attached.containsKey(console) ? Optional.ofNullable(displays.get(console)) : Optional.empty();
    }

    /**
     * The frame the console shows now, waiting up to {@code timeout} for it: the client's frame
     * counts as current once {@link #SETTLE} has passed since the listener was registered, every
     * pixel of it is known ({@link ConsoleDisplay#completeFrame()}) and its size equals the
     * console's Width/Height read after it. Otherwise {@link DisplayUnavailableException} saying
     * which of these never held.
     */
    public ConsoleDisplay.Frame currentFrame(int console, Duration timeout)
            throws DisplayUnavailableException, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            Attempt a = attempt(console);
            if (a.frame() != null) {
                return a.frame();
            }
            if (System.nanoTime() - end >= 0) {
                throw new DisplayUnavailableException("console " + console + ": " + a.why() + " within "
                        + timeout.toMillis() + " ms");
            }
            Thread.sleep(20);
        }
    }

    /** Whether {@link #currentFrame} would return at once (for the web console's first paint). */
    public boolean frameIsCurrent(int console) {
        try {
            return attempt(console).frame() != null;
        } catch (DisplayUnavailableException e) {
            return false;
        }
    }

    private record Attempt(ConsoleDisplay.Frame frame, String why) {
    }

    private Attempt attempt(int console) throws DisplayUnavailableException {
        Attached a = require(console);
        ConsoleDisplay d = displays.get(console);
        if (System.nanoTime() - a.registeredNanos() < SETTLE.toNanos()) {
            return new Attempt(null, "listener registered too recently");
        }
        long[] size;
        try {
            size = a.size().get();
        } catch (Exception e) {
            throw new DisplayUnavailableException("cannot read the console's Width/Height: " + e.getMessage());
        }
        ConsoleDisplay.Frame f = d.completeFrame();
        if (f == null) {
            return new Attempt(null, d.width() == 0 ? "no frame from QEMU (disabled, or none sent yet)"
                    : "the " + d.width() + "x" + d.height() + " frame was not fully drawn after a resize");
        }
        if (f.width() != size[0] || f.height() != size[1]) {
            return new Attempt(null, "the frame is " + f.width() + "x" + f.height() + " but the console's Width/Height is "
                    + size[0] + "x" + size[1]);
        }
        return new Attempt(f, "");
    }

    /** Send key transitions to a console, in order, {@link #KEY_INTERVAL_MS} apart (less for a long text). */
    public void keys(int console, List<KeyEvent> keys) throws DisplayUnavailableException {
        Display1.Keyboard kb = require(console).keyboard();
        long interval = Math.min(KEY_INTERVAL_MS, TYPING_BUDGET_MS / Math.max(1, keys.size()));
        for (int i = 0; i < keys.size(); i++) {
            KeyEvent k = keys.get(i);
            if (i > 0) {
                pause(interval);
            }
            if (k.press()) {
                kb.Press(new UInt32(k.qnum()));
            } else {
                kb.Release(new UInt32(k.qnum()));
            }
        }
    }

    private static void pause(long millis) throws DisplayUnavailableException {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DisplayUnavailableException("interrupted while typing");
        }
    }

    /** Keyboard.Modifiers of a console (QEMU's LED state: bit 0 scroll, 1 num, 2 caps lock). */
    public long modifiers(int console) throws DisplayUnavailableException {
        Attached a = require(console);
        try {
            Object v = bus.getRemoteObject(a.owner(), Display1.consolePath(console), Properties.class)
                    .Get(Display1.KEYBOARD_IFACE, "Modifiers");
            return num(v instanceof Variant<?> var ? var.getValue() : v);
        } catch (DBusException e) {
            throw new DisplayUnavailableException("cannot read Keyboard.Modifiers: " + e.getMessage());
        }
    }

    /** Whether the console's pointer is absolute (Mouse.IsAbsolute), read live. */
    public boolean mouseIsAbsolute(int console) throws DisplayUnavailableException {
        Attached a = require(console);
        try {
            Object v = bus.getRemoteObject(a.owner(), Display1.consolePath(console), Properties.class)
                    .Get(Display1.MOUSE_IFACE, "IsAbsolute");
            Object b = v instanceof Variant<?> var ? var.getValue() : v;
            return Boolean.TRUE.equals(b);
        } catch (DBusException | DBusExecutionException e) {
            return false;
        }
    }

    public Display1.Mouse mouse(int console) throws DisplayUnavailableException {
        return require(console).mouse();
    }

    private Attached require(int console) throws DisplayUnavailableException {
        State s = state;
        if (s == State.REFUSED) {
            throw new DisplayUnavailableException("refusing the owner of org.qemu: " + refusal);
        }
        Attached a = attached.get(console);
        if (s != State.ATTACHED || a == null) {
            throw new DisplayUnavailableException(s == State.ATTACHED
                    ? "no console " + console + " (consoles: " + attached.keySet() + ")"
                    : "no QEMU display on the bus (org.qemu has no owner)");
        }
        return a;
    }

    private static Object value(Map<String, Variant<?>> m, String key) {
        Variant<?> v = m.get(key);
        return v == null ? null : v.getValue();
    }

    private static String str(Object o) {
        return o == null ? "" : String.valueOf(o);
    }

    private static long num(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    @Override
    public void close() {
        try {
            if (ownerHandler != null) {
                ownerHandler.close();
            }
        } catch (Exception e) {
            log.warn("signal-handler-close-failed", "error", e.getMessage());
        }
        worker.shutdownNow();
        synchronized (this) {
            detach();
        }
    }
}
