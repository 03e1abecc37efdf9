package org.qemu.helpers.deploy;

import org.qemu.helpers.common.client.BusClient;
import org.qemu.helpers.common.client.BusClientCommand;
import org.qemu.helpers.common.discovery.HelperDirectory;
import org.qemu.helpers.common.exit.ExitCodes;
import picocli.CommandLine.Command;

/** {@code status}: the helpers on a bus with owner pid/uid, trust level, Status and VMState Id. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "List the helpers on a VM's bus.")
final class StatusCommand extends BusClientCommand {
    @Override
    protected int run(BusClient client) throws Exception {
        try (HelperDirectory d = HelperDirectory.open(client.connection(), client.trust())) {
            System.out.print(HelperTable.format(d.list()));
        }
        return ExitCodes.OK;
    }
}
