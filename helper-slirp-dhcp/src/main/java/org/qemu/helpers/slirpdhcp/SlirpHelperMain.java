package org.qemu.helpers.slirpdhcp;

import java.util.List;
import org.qemu.helpers.common.cli.HelperCommand;
import org.qemu.helpers.common.exit.ExitCodes;
import org.qemu.helpers.slirpdhcp.libvirt.ParentDeath;
import org.qemu.helpers.slirpdhcp.libvirt.SlirpHelperArgs;

/**
 * The entry point of {@code deploy/bin/qemu-slirp-helper}, libvirt's {@code slirp_helper}: translates libvirt's and
 * libslirp-helper's command line ({@link SlirpHelperArgs}) and runs this helper in the foreground (libvirt does not
 * wait for readiness; it daemonizes the process itself and stops it through its pidfile).
 */
public final class SlirpHelperMain {
    private SlirpHelperMain() {
    }

    public static void main(String[] args) {
        SlirpHelperArgs.Translation t;
        try {
            t = SlirpHelperArgs.translate(List.of(args));
        } catch (SlirpHelperArgs.UsageException e) {
            // one line on stderr: libvirt copies it into the domain's log and its own error
            System.err.println("qemu-slirp-helper: " + e.getMessage());
            System.exit(ExitCodes.CONFIG);
            return;
        }
        if (t.printCapabilities()) {
            System.out.println(SlirpHelperArgs.capabilitiesJson());
            System.exit(0);
            return;
        }
        if (t.exitWithParent()) {
            try {
                ParentDeath.arm();
            } catch (IllegalStateException | UnsatisfiedLinkError e) {
                System.err.println("qemu-slirp-helper: --exit-with-parent: " + e.getMessage());
                System.exit(ExitCodes.STARTUP);
                return;
            }
        }
        HelperCommand.launch(new Main(), t.helperArgs().toArray(String[]::new));
    }
}
