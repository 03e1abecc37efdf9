package org.qemu.helpers.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.qemu.helpers.common.client.ClientCommand;
import org.qemu.helpers.common.client.ClientFailure;
import picocli.CommandLine.Option;

/**
 * What save, restore and migrate share: they ask the running launcher of {@code --dir} (its control socket)
 * to do the work, since it owns the VM's processes, and print its progress.
 */
abstract class VmOperatorCommand extends ClientCommand {
    @Option(names = "--dir", defaultValue = "${env:DEMO_DIR:-state/demo}",
            description = "The VM's directory, as given to launch (default: $DEMO_DIR or state/demo).")
    Path dir;

    /** The request line sent to the launcher. */
    abstract String request() throws IOException;

    @Override
    protected int execute() throws Exception {
        Path socket = new VmLayout(dir.toAbsolutePath().normalize()).control();
        if (!Files.exists(socket)) {
            throw ClientFailure.unavailable("no launcher runs for " + dir + " (" + socket + " is missing); start it"
                    + " with deploy/demo.sh or 'qemu-helpers launch --qemu'");
        }
        try {
            return ControlChannel.request(socket, request(), System.out);
        } catch (IOException e) {
            throw ClientFailure.unavailable(socket + ": " + e.getMessage());
        }
    }
}
