package org.qemu.helpers.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code jvm-flags NAME}: the JVM flags the launcher gives a helper (without the AppCDS one), for scripts. */
@Command(name = "jvm-flags", mixinStandardHelpOptions = true,
        description = "Print the JVM flags the launcher uses for a helper, one line, shell-ready.")
final class JvmFlagsCommand implements Callable<Integer> {
    @Parameters(paramLabel = "HELPER", description = "slirp-dhcp, compress, tpm-stub or ui-client")
    String helper;

    @Override
    public Integer call() {
        HelperKind k;
        try {
            k = HelperKind.byName(helper);
        } catch (IllegalArgumentException e) {
            System.err.println("qemu-helpers jvm-flags: " + e.getMessage());
            return 2;
        }
        List<String> flags = new ArrayList<>(HelperArgs.JVM_FLAGS);
        flags.addAll(HelperArgs.extraJvmFlags(k));
        System.out.println(String.join(" ", flags));
        return 0;
    }
}
