package org.qemu.helpers.common.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.qemu.helpers.common.bus.HelperIdentity;
import org.qemu.helpers.common.bus.HelperRuntime;
import org.qemu.helpers.common.bus.StartupException;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.common.trust.TrustPolicy;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;

/**
 * The base of every helper's Main: parses the common options, connects, owns the name,
 * serves org.qemu.Helper1, runs the helper's {@link #serve}, then waits for SIGTERM (exit 0
 * after releasing the names) or the loss of the bus (exit {@value HelperRuntime#EXIT_BUS_LOST}).
 */
public abstract class HelperCommand implements Callable<Integer> {
    @Mixin
    protected CommonOptions common;

    /** Who this helper is on the bus. */
    protected abstract HelperIdentity identity();

    /** Validates the helper's own options, exports its objects and calls {@code rt.ready()}. */
    protected abstract void serve(HelperRuntime rt) throws Exception;

    /** Stops the helper's own work (sockets, threads) before its names are released. */
    protected void shutdown(HelperRuntime rt) throws Exception {
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
        HelperRuntime rt = startRuntime(id, new HelperLog(id.name(), HelperLog.Level.INFO, System.err));
        try {
            serve(rt);
            return rt;
        } catch (Exception | Error e) {
            rt.close();
            throw e;
        }
    }

    @Override
    public final Integer call() throws Exception {
        HelperIdentity id = identity();
        HelperLog log = new HelperLog(id.name(), HelperLog.Level.INFO, System.err);
        HelperRuntime rt = null;
        try {
            rt = startRuntime(id, log);
            StopSignals.install(rt);
            serve(rt);
        } catch (ConfigException | StartupException e) {
            if (rt != null) {
                rt.close();
            }
            boolean config = e instanceof ConfigException;
            log.error(config ? "config-invalid" : "startup-failed", "reason", e.getMessage());
            return config ? HelperRuntime.EXIT_CONFIG : HelperRuntime.EXIT_STARTUP;
        } catch (Exception | Error e) {
            if (rt != null) {
                rt.close();
            }
            throw e;
        }
        try (HelperRuntime running = rt) {
            int code = running.awaitStop();
            shutdown(running);
            log.info("stopped", "exit_code", code);
            return code;
        }
    }

    /** Applies --log-level, loads the policy, makes the state directory, connects and owns the name. */
    private HelperRuntime startRuntime(HelperIdentity id, HelperLog log) throws ConfigException, StartupException {
        log.setThreshold(common.logLevel());
        TrustPolicy policy = common.loadPolicy(log);
        Path stateDir = common.stateDir(id.name());
        return HelperRuntime.start(id, common.resolveBusAddress(), policy, stateDir, log, HelperVersion.current());
    }
}
