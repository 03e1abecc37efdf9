package org.qemu.helpers.uiclient;

import org.qemu.helpers.common.bus.HelperRuntime;
import org.qemu.helpers.common.bus.Identity;
import org.qemu.helpers.common.cli.CommonOptions;
import org.qemu.helpers.common.cli.HelperCommand;
import org.qemu.helpers.common.cli.HelperVersion;
import org.qemu.helpers.uiclient.dbus.UiClient1;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * helper-ui-client: a client of QEMU's D-Bus display. Without a subcommand it serves
 * (org.qemu.UiClient1 and the web console); {@code screenshot} and {@code type} are one-shot.
 */
@Command(name = "helper-ui-client", mixinStandardHelpOptions = true, versionProvider = HelperVersion.class,
        description = "Screenshots, typing and a live web console for the VM's display (QEMU -display dbus).",
        subcommands = {Main.Serve.class, ScreenshotCommand.class, TypeCommand.class})
@Identity(name = "ui-client", description = Main.DESCRIPTION, serves = UiClient1.class)
public final class Main extends HelperCommand {
    static final String DESCRIPTION = "Screenshots, typing and a live web console for the VM's display";

    @Option(names = "--web", paramLabel = "HOST:PORT", defaultValue = UiServer.DEFAULT_WEB,
            description = "Web console on a loopback address (port 0 picks a free one), or 'off' "
                    + "(default: ${DEFAULT-VALUE}).")
    String web;

    public static void main(String[] args) {
        HelperCommand.launch(new Main(), args);
    }

    /** The common options given before a subcommand (used when the subcommand has no bus address). */
    CommonOptions commonOptions() {
        return common;
    }

    @Override
    protected void serve(HelperRuntime rt) throws Exception {
        UiServer.serve(rt, web);
    }

    /** {@code serve}: the same as no subcommand. */
    @Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = HelperVersion.class,
            description = "Serve org.qemu.UiClient1 and the web console (the default).")
    @Identity(name = "ui-client", description = Main.DESCRIPTION, serves = UiClient1.class)
    static final class Serve extends HelperCommand {
        @Option(names = "--web", paramLabel = "HOST:PORT", defaultValue = UiServer.DEFAULT_WEB,
                description = "Web console on a loopback address (port 0 picks a free one), or 'off' "
                        + "(default: ${DEFAULT-VALUE}).")
        String web;

        @Override
        protected void serve(HelperRuntime rt) throws Exception {
            UiServer.serve(rt, web);
        }
    }
}
