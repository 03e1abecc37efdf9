package org.qemu.helpers.deploy;

import org.qemu.helpers.common.cli.HelperVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code qemu-helpers}: the operator's tool for one VM's bus: launch, status, bus-config, save, restore, migrate. */
@Command(name = "qemu-helpers", mixinStandardHelpOptions = true, versionProvider = HelperVersion.class,
        description = "Run and inspect the helper processes of one QEMU VM on its private D-Bus bus.",
        subcommands = {LaunchCommand.class, StatusCommand.class, BusConfigCommand.class, JvmFlagsCommand.class,
                CdsCommand.class, SaveCommand.class, RestoreCommand.class, MigrateCommand.class})
public final class Main implements Runnable {
    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
