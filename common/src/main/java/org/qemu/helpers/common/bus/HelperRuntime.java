package org.qemu.helpers.common.bus;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.freedesktop.dbus.connections.IDisconnectCallback;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.qemu.helpers.common.discovery.Helper1;
import org.qemu.helpers.common.exit.ExitCodes;
import org.qemu.helpers.common.health.Health;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.common.systemd.SystemdNotifier;
import org.qemu.helpers.common.trust.DenialBudget;
import org.qemu.helpers.common.trust.PeerTrust;
import org.qemu.helpers.common.trust.TrustGate;
import org.qemu.helpers.common.trust.TrustPolicy;
import org.qemu.helpers.common.vmstate.VMState1;
import org.qemu.helpers.common.vmstate.VMStateCodec;

/**
 * A helper on its bus: the connection, the trust gate, its names and its org.qemu.Helper1
 * object. Built by {@code HelperCommand}; a helper's {@code serve} opens its listeners, exports
 * its objects through {@link #export} and may add details to the ready line
 * ({@link #readyDetail}); when serve returns, {@code HelperCommand} calls {@link #ready}: only then
 * are the names owned and Status ready, so a peer that sees the name finds every listener accepting.
 */
public final class HelperRuntime implements AutoCloseable {
    private final HelperIdentity identity;
    private final HelperLog log;
    private final Path stateDir;
    private final DBusConnection connection;
    private final PeerTrust trust;
    private final TrustGate gate;
    private final ReplyGuard replyGuard; // null: dbus-java not as pinned, every denial is answered
    private final BusNames names;
    private final Signals signals;
    private final Helper1Service helper1;
    private final HealthBoard health;
    private final ExportHandle helper1Handle;
    private final SystemdNotifier systemd;
    // Holds each exported object strongly (dbus-java keeps only a weak reference) until it is unexported.
    private final java.util.Set<ExportHandle> exports = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicInteger exitCode = new AtomicInteger(ExitCodes.OK);
    private volatile boolean closing;
    private volatile String vmStateId; // set by serveVMState, queued by ready
    private boolean vmStateQueued;
    private boolean ready;
    private final List<Object> readyDetail = new java.util.ArrayList<>();
    private final java.util.Deque<AutoCloseable> work = new java.util.concurrent.ConcurrentLinkedDeque<>();

    private HelperRuntime(HelperIdentity identity, HelperLog log, Path stateDir, DBusConnection connection,
                          TrustPolicy policy, String version) throws DBusException {
        this.identity = identity;
        this.log = log;
        this.stateDir = stateDir;
        this.connection = connection;
        this.trust = new PeerTrust(connection, policy);
        this.gate = new TrustGate(trust, log);
        this.replyGuard = guard(connection, gate, log);
        this.names = new BusNames(connection, trust);
        this.signals = new Signals(connection, trust, log);
        this.helper1 = new Helper1Service(identity, version, () -> vmStateId == null ? "" : vmStateId);
        this.health = new HealthBoard(log, this::publishHealth);
        this.systemd = SystemdNotifier.fromEnvironment(log);
        this.helper1Handle = export(Helper1.PATH, Helper1.class, helper1, helper1.properties());
    }

    /**
     * Connects to {@code busAddress} and exports org.qemu.Helper1 (Status starting); fails with a
     * one-line reason when the bus cannot be had. The names are owned by {@link #ready}.
     */
    public static HelperRuntime start(HelperIdentity identity, String busAddress, TrustPolicy policy, Path stateDir,
                                      HelperLog log, String version) throws StartupException {
        if (busAddress == null || busAddress.isBlank()) {
            throw new StartupException("no bus address: give --bus-address or set QEMU_HELPERS_BUS_ADDRESS");
        }
        HelperRuntime[] self = new HelperRuntime[1];
        DBusConnection conn;
        try {
            conn = DBusConnectionBuilder.forAddress(busAddress)
                    .withShared(false)
                    .withDisconnectCallback(new IDisconnectCallback() {
                        @Override
                        public void disconnectOnError(java.io.IOException e) {
                            if (self[0] != null) {
                                self[0].busLost(e.getMessage());
                            }
                        }
                    })
                    .build();
        } catch (DBusException | RuntimeException e) {
            throw new StartupException("cannot connect to bus " + busAddress + ": " + rootMessage(e));
        }
        try {
            HelperRuntime rt = new HelperRuntime(identity, log, stateDir, conn, policy, version);
            self[0] = rt;
            return rt;
        } catch (DBusException e) {
            conn.disconnect();
            throw new StartupException("cannot set up on bus " + busAddress + ": " + rootMessage(e));
        }
    }

    public HelperIdentity identity() {
        return identity;
    }

    public HelperLog log() {
        return log;
    }

    public Path stateDir() {
        return stateDir;
    }

    public DBusConnection connection() {
        return connection;
    }

    public PeerTrust trust() {
        return trust;
    }

    public TrustGate gate() {
        return gate;
    }

    /** Holds the gate's denials to a {@link DenialBudget} when the connection's writer can be guarded. */
    private static ReplyGuard guard(DBusConnection connection, TrustGate gate, HelperLog log) {
        DenialBudget budget = new DenialBudget();
        try {
            ReplyGuard g = ReplyGuard.install(connection, budget);
            gate.useBudget(budget);
            return g;
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("denial-budget-off", "reason", "cannot guard dbus-java's message writer (" + e
                    + "); every denied call is answered, a pipelining peer can delay trusted replies");
            return null;
        }
    }

    /** Errors of withheld calls dropped by the writer (0 when no guard is installed; for tests and statistics). */
    public long withheldDropped() {
        return replyGuard == null ? 0 : replyGuard.dropped();
    }

    /** Emits signals only to the peers entitled to read them; use it instead of the connection's sendMessage. */
    public Signals signals() {
        return signals;
    }

    /**
     * Exports {@code impl} at {@code path} behind the trust gate, with its properties. Fails
     * when a method lacks {@code @MinTrust} or the {@code @DBusProperty} list and the tables differ.
     */
    /** Number of objects exported and not unexported (for tests and statistics). */
    public int exportCount() {
        return exports.size();
    }

    /**
     * Exports {@code impl} behind the trust gate at the path that mirrors its interface's name
     * (org.qemu.Echo1 at /org/qemu/Echo1): the interface is the one {@code @DBusInterfaceName}
     * interface its class implements.
     */
    @SuppressWarnings("unchecked")
    public <T extends DBusInterface> ExportHandle export(T impl, PropertyTable... tables) {
        List<Class<?>> ifaces = new java.util.ArrayList<>();
        for (Class<?> c = impl.getClass(); c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                if (DBusInterface.class.isAssignableFrom(i)
                        && i.isAnnotationPresent(org.freedesktop.dbus.annotations.DBusInterfaceName.class)) {
                    ifaces.add(i);
                }
            }
        }
        if (ifaces.size() != 1) {
            throw new IllegalArgumentException(impl.getClass().getName() + " implements " + ifaces.size()
                    + " D-Bus interfaces " + ifaces + "; name the one to export with export(path, iface, impl, ...)");
        }
        Class<T> iface = (Class<T>) ifaces.get(0);
        return export("/" + GatedObject.dbusName(iface).replace('.', '/'), iface, impl, tables);
    }

    public <T extends DBusInterface> ExportHandle export(String path, Class<T> iface, T impl, PropertyTable... tables) {
        DBusInterface proxy = GatedObject.create(path, iface, impl, List.of(tables), gate, log);
        GatedObject gated = (GatedObject) java.lang.reflect.Proxy.getInvocationHandler(proxy);
        try {
            connection.exportObject(path, proxy);
        } catch (DBusException e) {
            throw new IllegalStateException("cannot export " + path + ": " + e.getMessage(), e);
        }
        ExportHandle h = new ExportHandle(connection, signals, path, proxy, gated, exports::remove);
        exports.add(h);
        return h;
    }

    /**
     * Serves org.qemu.VMState1 with {@code codec}; {@link #ready} queues for its name. The Id is the
     * identity's VMState Id, or the helper's name when the identity gives none.
     */
    public <T> void serveVMState(VMStateCodec<T> codec) {
        String id = identity.vmStateId().isEmpty() ? identity.name() : identity.vmStateId();
        VMStateService<T> svc = new VMStateService<>(id, codec, log);
        export(VMState1.PATH, VMState1.class, svc, svc.properties());
        vmStateId = id;
    }

    /** Sets Status (with PropertiesChanged). */
    public void setStatus(HelperStatus status) {
        helper1.setStatus(status);
        helper1Handle.propertiesChanged(Helper1.INTERFACE, "Status");
    }

    /**
     * Where the helper's parts report degraded conditions: Status degraded with StatusReason while one
     * holds (once ready), ready again when none does, with PropertiesChanged each time.
     */
    public Health health() {
        return health;
    }

    private synchronized void publishHealth() {
        if (!ready || closing) {
            return; // ready() applies what is open by then; stopping wins
        }
        boolean degraded = health.isDegraded();
        helper1.setStatus(degraded ? HelperStatus.DEGRADED : HelperStatus.READY, degraded ? health.reason() : "");
        helper1Handle.propertiesChanged(Helper1.INTERFACE, "Status", "StatusReason");
    }

    /**
     * Registers the helper's own work (a listener, a store, a thread pool) to be closed when the helper stops: at
     * {@link #close}, before its names are released, in the reverse order of registration (what was opened last
     * closes first), also when serve fails half-way. Returns {@code resource}.
     */
    public <C extends AutoCloseable> C onClose(C resource) {
        work.push(resource);
        return resource;
    }

    private void closeWork() {
        for (AutoCloseable c = work.poll(); c != null; c = work.poll()) {
            try {
                c.close();
            } catch (Exception | Error e) {
                log.warn("close-failed", "what", c.getClass().getSimpleName(), "error", String.valueOf(e));
            }
        }
    }

    /** Adds key/value pairs to the ready line (what the helper serves, where it listens). */
    public void readyDetail(Object... kv) {
        readyDetail.addAll(List.of(kv));
    }

    /**
     * The one place a helper becomes ready, called when its serve has returned (its listeners accept,
     * its objects are exported): owns the bus name (refused naming the owner when taken), queues for
     * org.qemu.VMState1, sets Status ready and logs the ready line with the milliseconds since the
     * process started (10 ms resolution). A readiness notification (sd_notify READY=1) belongs here,
     * after the log line.
     */
    public synchronized void ready() throws StartupException {
        if (ready) {
            throw new IllegalStateException("ready() called twice");
        }
        // Status first, the name after: whoever finds the name reads ready (or degraded), never starting
        ready = true;
        publishHealth();
        try {
            names.own(identity.busName());
            if (vmStateId != null) {
                names.queueVMState(vmStateId);
                vmStateQueued = true;
                log.info("vmstate-queued", "id", vmStateId);
            }
        } catch (StartupException | RuntimeException e) {
            ready = false;
            setStatus(HelperStatus.STOPPING); // refused (the name or the Id is taken): this process exits next
            throw e;
        }
        List<Object> kv = new java.util.ArrayList<>(List.of("bus_name", identity.busName(), "unique_name",
                connection.getUniqueName(), "startup_ms", ProcessAge.millis()));
        kv.addAll(readyDetail);
        log.info("ready", kv.toArray());
        systemd.ready("ready: " + identity.busName() + " owned, listening");
    }

    /** Blocks until SIGTERM/SIGINT ({@link #requestStop}) or bus loss; returns the exit code. */
    public int awaitStop() throws InterruptedException {
        stop.await();
        return exitCode.get();
    }

    /** Asks the helper to stop with exit code 0 (called from the signal handler). */
    public void requestStop(String why) {
        log.info("stopping", "reason", why);
        stop.countDown();
    }

    private void busLost(String why) {
        if (closing) {
            return;
        }
        log.error("bus-lost", "reason", why == null ? "connection closed" : why);
        exitCode.compareAndSet(ExitCodes.OK, ExitCodes.BUS_LOST);
        stop.countDown();
    }

    /** True once the connection is gone. */
    public boolean busLost() {
        return exitCode.get() == ExitCodes.BUS_LOST;
    }

    /**
     * Closes the helper's work ({@link #onClose}), sets Status stopping, releases the names and
     * disconnects (what is left of them after a bus loss). Bounded in time: when the daemon dies
     * during the stop, a release would otherwise wait for the whole method-call timeout.
     */
    @Override
    public void close() {
        closing = true;
        systemd.stopping("stopping: releasing " + identity.busName());
        closeWork();
        if (!busLost() && connection.isConnected()) {
            java.util.concurrent.CompletableFuture<Void> release = java.util.concurrent.CompletableFuture.runAsync(() -> {
                setStatus(HelperStatus.STOPPING);
                if (vmStateQueued) {
                    names.release(VMState1.BUS_NAME);
                }
                names.release(identity.busName());
            });
            try {
                release.get(3, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                log.warn("release-timeout", "reason", "the bus did not answer within 3 s");
            } catch (java.util.concurrent.ExecutionException e) {
                log.warn("release-failed", "reason", String.valueOf(e.getCause().getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            signals.flush(1000); // Status stopping reaches the peers before the connection goes
        }
        connection.disconnect();
        signals.close();
    }

    private static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        String m = r.getMessage();
        return m == null ? r.getClass().getSimpleName() : m;
    }
}
