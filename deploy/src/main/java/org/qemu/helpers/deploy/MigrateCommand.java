package org.qemu.helpers.deploy;

import picocli.CommandLine.Command;

/** {@code migrate}: save and restore in one, without compression: the VM moves to a fresh QEMU and fresh helpers. */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Migrate the running VM to a fresh QEMU with fresh helpers on the same bus; prints the downtime.")
final class MigrateCommand extends VmOperatorCommand {
    @Override
    String request() {
        return "migrate";
    }
}
