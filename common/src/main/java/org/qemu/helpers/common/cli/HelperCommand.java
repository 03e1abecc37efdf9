package org.qemu.helpers.common.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.qemu.helpers.common.bus.HelperIdentity;
import org.qemu.helpers.common.bus.HelperRuntime;
import org.qemu.helpers.common.bus.Identity;
import org.qemu.helpers.common.bus.StartupException;
import org.qemu.helpers.common.exit.ExitCodes;
import org.qemu.helpers.common.listen.ListenException;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.common.trust.TrustPolicy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The base of every helper's Main: parses the common options, connects, owns the name,
 * serves org.qemu.Helper1, runs the helper's {@link #serve}, then waits for SIGTERM (exit 0
 * after releasing the names) or the loss of the bus (exit {@value ExitCodes#BUS_LOST}).
 */
@Command(mixinStandardHelpOptions = true, versionProvider = HelperVersion.class)
public abstract class HelperCommand implements Callable<Integer> {
    @Mixin
    protected CommonOptions common;

    /**
     * Who this helper is on the bus. By default: its name and description from its {@code @Command},
     * its bus name and Interfaces from the one D-Bus interface the command class implements
     * (org.qemu.Echo1), its VMState Id its name (when serve serves one); an {@link Identity} on the
     * class says what differs (a name other than the command's, interfaces served by other objects).
     */
    protected HelperIdentity identity() {
        Command c = getClass().getAnnotation(Command.class);
        Identity a = getClass().getAnnotation(Identity.class);
        String name = a != null && !a.name().isEmpty() ? a.name() : c == null ? "" : c.name();
        if (name.isEmpty() || name.equals("<main class>")) {
            throw new IllegalStateException(getClass().getName() + " has no @Command(name = ...): give @Identity(name)");
        }
        String description = a != null && !a.description().isEmpty() ? a.description()
                : c == null ? "" : String.join(" ", c.description());
        List<Class<?>> serves = new ArrayList<>(a != null ? List.of(a.serves()) : List.of());
        if (serves.isEmpty()) {
            for (Class<?> i : getClass().getInterfaces()) {
                if (i.isAnnotationPresent(org.freedesktop.dbus.annotations.DBusInterfaceName.class)) {
                    serves.add(i);
                }
            }
        }
        if (serves.isEmpty()) {
            throw new IllegalStateException(getClass().getName() + " implements no D-Bus interface: give @Identity(serves)");
        }
        return HelperIdentity.of(name, description, a != null ? a.vmStateId() : "", serves.get(0),
                serves.subList(1, serves.size()).toArray(Class<?>[]::new));
    }

    /**
     * Validates the helper's own options, opens its listeners and exports its objects. When it
     * returns the runtime becomes ready ({@link HelperRuntime#ready}: names owned, Status ready).
     */
    protected abstract void serve(HelperRuntime rt) throws Exception;

    /**
     * For a helper that implements its D-Bus interface itself: the trust gate answers getObjectPath
     * for every exported object, so this is never asked over the bus.
     */
    public String getObjectPath() {
        return "";
    }

    /** Runs {@code command} with {@code args} and exits with its code. */
    public static void launch(Object command, String[] args) {
        int code = new CommandLine(command).execute(args);
        System.exit(code);
    }

    /**
     * For tests: parses {@code args} and starts the helper inside this JVM (no signal
     * handlers), returning once {@link #serve} has run. Close the runtime to stop it.
     */
    public final HelperRuntime startInProcess(String... args) throws Exception {
        new CommandLine(this).parseArgs(args);
        HelperIdentity id = identity();
        HelperRuntime rt = startRuntime(id, HelperLog.stderr(id.name()));
        try {
            serve(rt);
        } catch (Exception | Error e) {
            rt.close();
            throw e;
        }
        becomeReady(rt);
        return rt;
    }

    @Override
    public final Integer call() throws Exception {
        HelperIdentity id = identity();
        HelperLog log = HelperLog.stderr(id.name());
        HelperRuntime rt = null;
        try {
            rt = startRuntime(id, log);
            StopSignals.install(rt);
            serve(rt);
        } catch (Exception | Error e) {
            if (rt != null) {
                rt.close();
            }
            Integer code = startFailure(e, log);
            if (code == null) {
                throw e;
            }
            return code;
        }
        try {
            becomeReady(rt);
        } catch (StartupException e) {
            return startFailure(e, log);
        }
        int code;
        try {
            code = rt.awaitStop();
        } finally {
            rt.close(); // the helper's work (rt.onClose) first, then the names
        }
        log.info("stopped", "exit_code", code);
        return code;
    }

    /** Serve has returned: the runtime becomes ready; when it cannot (name taken), the helper's work is stopped. */
    private static void becomeReady(HelperRuntime rt) throws StartupException {
        try {
            rt.ready();
        } catch (StartupException | RuntimeException e) {
            rt.close();
            throw e;
        }
    }

    /**
     * The exit code and one-line log of a failed start: invalid configuration, or a start that cannot
     * succeed now (bus, name, a listener refused or its address taken, wherever in the cause chain);
     * null for anything else (a bug, which picocli reports with its stack trace).
     */
    static Integer startFailure(Throwable e, HelperLog log) {
        if (e instanceof ConfigException) {
            log.error("config-invalid", "reason", e.getMessage());
            return ExitCodes.CONFIG;
        }
        ListenException listen = ListenException.in(e);
        if (listen != null) {
            log.error("startup-failed", "reason", listen.getMessage());
            return ExitCodes.STARTUP;
        }
        if (e instanceof StartupException) {
            log.error("startup-failed", "reason", e.getMessage());
            return ExitCodes.STARTUP;
        }
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.net.BindException b) {
                log.error("startup-failed", "reason", "cannot listen: " + b.getMessage());
                return ExitCodes.STARTUP;
            }
        }
        return null;
    }

    /** Applies --log-level, loads the policy, makes the state directory, connects and owns the name. */
    private HelperRuntime startRuntime(HelperIdentity id, HelperLog log) throws ConfigException, StartupException {
        log.setThreshold(common.logLevel());
        TrustPolicy policy = common.loadPolicy(log);
        Path stateDir = common.stateDir(id.name());
        return HelperRuntime.start(id, common.resolveBusAddress(), policy, stateDir, log, HelperVersion.current());
    }
}
