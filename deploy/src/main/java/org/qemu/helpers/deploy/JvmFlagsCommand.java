package org.qemu.helpers.deploy;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jvm-flags NAME [--cds-archive FILE]}: the JVM flags the launcher gives a helper, for scripts. */
@Command(name = "jvm-flags", mixinStandardHelpOptions = true,
        description = "Print the JVM flags the launcher uses for a helper, one line, shell-ready.")
final class JvmFlagsCommand implements Callable<Integer> {
    @Parameters(paramLabel = "HELPER", converter = HelperKind.Converter.class,
            description = "slirp-dhcp, compress, tpm-stub or ui-client")
    HelperKind k;

    @Option(names = "--cds-archive", paramLabel = "FILE",
            description = "Add the AppCDS flags for this archive file: map it when it is fresh, else record the class"
                    + " list that 'qemu-helpers cds' builds it from.")
    Path cdsArchive;

    @Override
    public Integer call() {
        List<String> flags = HelperArgs.jvmFlags(k);
        if (cdsArchive != null) {
            flags.addAll(new CdsArchive(HelperKind.checkout().resolve(k.jar()), cdsArchive.toAbsolutePath()).flags());
        }
        System.out.println(String.join(" ", flags));
        return 0;
    }
}
