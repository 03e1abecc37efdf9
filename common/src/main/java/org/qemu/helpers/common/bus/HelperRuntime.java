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
import org.qemu.helpers.common.discovery.Helper1Service;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.common.systemd.SystemdNotifier;
import org.qemu.helpers.common.trust.PeerTrust;
import org.qemu.helpers.common.trust.TrustGate;
import org.qemu.helpers.common.trust.TrustPolicy;
import org.qemu.helpers.common.vmstate.VMState1;
import org.qemu.helpers.common.vmstate.VMStateCodec;
import org.qemu.helpers.common.vmstate.VMStateService;

/**
 * A helper on its bus: the connection, the trust gate, its names and its org.qemu.Helper1
 * object. Built by {@code HelperCommand}; a helper's {@code serve} exports its objects
 * through {@link #export} and calls {@link #ready}.
 */
public final class HelperRuntime implements AutoCloseable {
    /** Exit codes a supervisor can tell apart. */
    public static final int EXIT_OK = 0;
    public static final int EXIT_CONFIG = 2;
    public static final int EXIT_STARTUP = 3;
    public static final int EXIT_BUS_LOST = 4;

    private final HelperIdentity identity;
    private final HelperLog log;
    private final Path stateDir;
    private final DBusConnection connection;
    private final PeerTrust trust;
    private final TrustGate gate;
    private final BusNames names;
    private final Signals signals;
    private final Helper1Service helper1;
    private final ExportHandle helper1Handle;
    private final SystemdNotifier systemd;
    // Holds each exported object strongly (dbus-java keeps only a weak reference) until it is unexported.
    private final java.util.Set<ExportHandle> exports = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicInteger exitCode = new AtomicInteger(EXIT_OK);
    private volatile boolean closing;
    private boolean vmStateQueued;

    private HelperRuntime(HelperIdentity identity, HelperLog log, Path stateDir, DBusConnection connection,
                          TrustPolicy policy, String version) throws DBusException {
        this.identity = identity;
        this.log = log;
        this.stateDir = stateDir;
        this.connection = connection;
        this.trust = new PeerTrust(connection, policy);
        this.gate = new TrustGate(trust, log);
        this.names = new BusNames(connection, trust);
        this.signals = new Signals(connection, trust, log);
        this.helper1 = new Helper1Service(identity, version);
        this.systemd = SystemdNotifier.fromEnvironment(log);
        this.helper1Handle = export(Helper1.PATH, Helper1.class, helper1, helper1.properties());
    }

    /**
     * Connects to {@code busAddress}, exports org.qemu.Helper1 (Status starting) and owns the
     * helper's name; fails with a one-line reason when the bus or the name cannot be had.
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
            rt.names.own(identity.busName());
            return rt;
        } catch (DBusException e) {
            conn.disconnect();
            throw new StartupException("cannot set up on bus " + busAddress + ": " + rootMessage(e));
        } catch (StartupException e) {
            conn.disconnect();
            throw e;
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

    /** Serves org.qemu.VMState1 with {@code codec} and queues for its name (Id from the identity). */
    public <T> void serveVMState(VMStateCodec<T> codec) throws StartupException {
        String id = identity.vmStateId();
        if (id.isEmpty()) {
            throw new IllegalStateException(identity.name() + " has no VMState Id");
        }
        VMStateService<T> svc = new VMStateService<>(id, codec, log);
        export(VMState1.PATH, VMState1.class, svc, svc.properties());
        names.queueVMState(id);
        vmStateQueued = true;
        log.info("vmstate-queued", "id", id);
    }

    /** Sets Status (with PropertiesChanged). */
    public void setStatus(HelperStatus status) {
        helper1.setStatus(status);
        helper1Handle.propertiesChanged(Helper1.INTERFACE, "Status");
    }

    /** Marks the helper ready and logs it, with the milliseconds since the process started (10 ms resolution). */
    public void ready(Object... detail) {
        setStatus(HelperStatus.READY);
        long startupMs = ProcessAge.millis();
        Object[] kv = new Object[detail.length + 6];
        kv[0] = "bus_name";
        kv[1] = identity.busName();
        kv[2] = "unique_name";
        kv[3] = connection.getUniqueName();
        kv[4] = "startup_ms";
        kv[5] = startupMs;
        System.arraycopy(detail, 0, kv, 6, detail.length);
        log.info("ready", kv);
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
        exitCode.compareAndSet(EXIT_OK, EXIT_BUS_LOST);
        stop.countDown();
    }

    /** True once the connection is gone. */
    public boolean busLost() {
        return exitCode.get() == EXIT_BUS_LOST;
    }

    /**
     * Sets Status stopping, releases the names and disconnects (what is left of them after a
     * bus loss). Bounded in time: when the daemon dies during the stop, a release would
     * otherwise wait for the whole method-call timeout.
     */
    @Override
    public void close() {
        closing = true;
        systemd.stopping("stopping: releasing " + identity.busName());
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
        }
        connection.disconnect();
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
