package org.qemu.helpers.common.client;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import org.qemu.helpers.common.cli.ConfigException;
import org.qemu.helpers.common.exit.ExitCodes;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The frame of every client command of the suite ({@code qemu-helpers status}, {@code helper-compress submit}, the
 * ui-client's one-shot commands, the demo's save/restore/migrate): the command does its job in {@link #execute} and
 * returns an exit code, or throws a {@link ClientFailure} (or a {@link ConfigException}), which becomes one line on
 * stderr, {@code COMMAND: message}, and its code from {@link ExitCodes}.
 */
public abstract class ClientCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** Does the command's job; {@link ExitCodes#OK} when it is done. */
    protected abstract int execute() throws Exception;

    /** The command as the user typed it, e.g. {@code qemu-helpers status}: the prefix of its error lines. */
    protected String commandName() {
        return spec != null ? spec.qualifiedName() : getClass().getSimpleName();
    }

    /** Where error lines go. */
    protected PrintStream err() {
        return System.err;
    }

    @Override
    public final Integer call() throws Exception {
        try {
            return execute();
        } catch (ClientFailure f) {
            err().println(commandName() + ": " + f.getMessage());
            return f.exitCode();
        } catch (ConfigException e) {
            err().println(commandName() + ": " + e.getMessage());
            return ExitCodes.CONFIG;
        }
    }
}
