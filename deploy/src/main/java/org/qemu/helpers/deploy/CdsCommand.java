package org.qemu.helpers.deploy;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cds NAME --archive FILE}: builds a helper's AppCDS archive from the class list a run recorded. */
@Command(name = "cds", mixinStandardHelpOptions = true,
        description = "Build a helper's AppCDS archive from the class list its last run recorded"
                + " (a run started with 'qemu-helpers jvm-flags HELPER --cds-archive FILE' and stopped soon after"
                + " ready: every class it loaded goes in). The launcher does this itself.")
final class CdsCommand implements Callable<Integer> {
    @Parameters(paramLabel = "HELPER", converter = HelperKind.Converter.class,
            description = "slirp-dhcp, compress, tpm-stub or ui-client")
    HelperKind k;

    @Option(names = "--archive", paramLabel = "FILE", required = true, description = "The archive to write.")
    Path archive;

    @Override
    public Integer call() throws InterruptedException {
        CdsArchive cds = new CdsArchive(HelperKind.checkout().resolve(k.jar()), archive.toAbsolutePath());
        String error;
        try {
            cds.markStarted(); // the recording run has ended: its whole list is the start-up list
            error = cds.build(HelperArgs.JAVA);
        } catch (java.io.IOException e) {
            error = "cannot read the class list: " + e.getMessage();
        }
        if (error != null) {
            System.err.println("qemu-helpers cds: " + error);
            return 1;
        }
        return 0;
    }
}
