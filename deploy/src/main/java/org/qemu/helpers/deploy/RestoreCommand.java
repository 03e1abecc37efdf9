package org.qemu.helpers.deploy;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code restore FILE}: replaces the running VM by the one saved in FILE, with fresh helpers. */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = "Replace the running VM by the one 'save' wrote: fresh helpers, an incoming QEMU.")
final class RestoreCommand extends VmOperatorCommand {
    @Parameters(index = "0", paramLabel = "FILE")
    Path file;

    @Override
    String request() {
        return "restore " + file.toAbsolutePath().normalize();
    }
}
