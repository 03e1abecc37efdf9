package org.qemu.helpers.uiclient;

import java.time.Duration;
import org.qemu.helpers.common.cli.BusOptions;
import org.qemu.helpers.common.cli.ConfigException;
import org.qemu.helpers.common.client.BusClient;
import org.qemu.helpers.common.client.BusClientCommand;
import org.qemu.helpers.common.client.ClientFailure;
import org.qemu.helpers.common.exit.ExitCodes;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.uiclient.display.DisplayClient;
import org.qemu.helpers.uiclient.display.HelperLogUi;
import org.qemu.helpers.uiclient.display.VmmGate;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * The ui-client's one-shot commands (screenshot, type): a client command (common's bus options, connection and exit
 * codes) that attaches to QEMU's display through the vmm owner gate, runs one action and exits. Exit codes: 0 done,
 * 1 no usable display (none, refused, no frame, no such console), 2 config, 3 cannot connect.
 */
abstract class DisplayCommand extends BusClientCommand {
    static final int EXIT_NO_DISPLAY = ExitCodes.FAILED;

    @ParentCommand
    Main parent;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            description = "debug, info, warn or error (default: ${DEFAULT-VALUE}).")
    String logLevel;

    /** How long to wait for QEMU's display (and, for a screenshot, its frame). */
    abstract Duration timeout();

    /** The command's action on the attached display; an exit code. */
    abstract int act(DisplayClient client, HelperLog log) throws Exception;

    /** This command's bus options, or the ones given before it when it names no bus. */
    @Override
    protected BusOptions busOptions() {
        return bus.namesABus() || parent == null ? bus : parent.commonOptions().bus();
    }

    @Override
    protected int run(BusClient bus) throws Exception {
        HelperLog log = HelperLog.stderr("ui-client");
        try {
            log.setThreshold(HelperLog.Level.parse(logLevel));
        } catch (IllegalArgumentException e) {
            throw ConfigException.option("--log-level", e.getMessage());
        }
        try (DisplayClient client = new DisplayClient(bus.connection(), new VmmGate(bus.trust()), new HelperLogUi(log))) {
            client.start();
            DisplayClient.State s = client.await(timeout());
            if (s == DisplayClient.State.REFUSED) {
                throw ClientFailure.failed("display refused: " + client.refusal());
            }
            if (s != DisplayClient.State.ATTACHED) {
                throw ClientFailure.failed("no QEMU display on the bus (org.qemu has no owner) within "
                        + timeout().toSeconds() + " s");
            }
            return act(client, log);
        }
    }
}
