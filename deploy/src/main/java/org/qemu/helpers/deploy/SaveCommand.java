package org.qemu.helpers.deploy;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code save --out FILE}: the running VM's state (QEMU's and its helpers') to a zstd-compressed file. */
@Command(name = "save", mixinStandardHelpOptions = true,
        description = "Save the running VM (QEMU migration to a file, helper state via dbus-vmstate), compressed by"
                + " helper-compress; the VM keeps running.")
final class SaveCommand extends VmOperatorCommand {
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The file to write (not replaced).")
    Path out;

    @Override
    String request() {
        return "save " + out.toAbsolutePath().normalize();
    }
}
