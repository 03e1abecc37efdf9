package org.qemu.helpers.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.testing.Commands;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.Tools;

/**
 * deploy/e2e/systemd.sh on the .deb just built: a Debian 12 root with the package installed through
 * apt, booted under systemd-nspawn, two VMs started and checked inside (about 4 minutes, most of
 * it mmdebstrap fetching the JRE from the Debian mirror). Serialised with the other heavy runs on
 * /tmp/bench.lock.
 */
class SystemdE2EIT {
    @Test
    void twoVmsStartStopAndRestartUnderARealSystemd() throws Exception {
        Tools.require("mmdebstrap", "mmdebstrap");
        Tools.require("systemd-nspawn", "systemd-container");
        Path deb;
        try (Stream<Path> s = Files.list(DebPackageIT.TARGET)) {
            deb = s.filter(p -> p.getFileName().toString().matches("qemu-dbus-helpers_.+_all\\.deb")).findFirst()
                    .orElseThrow(() -> new AssertionError("no .deb in " + DebPackageIT.TARGET));
        }
        Path script = LaunchDemoTest.REPO.resolve("deploy/e2e/systemd.sh");
        ProcResult r = Commands.run(Duration.ofMinutes(25), List.of("flock", "/tmp/bench.lock", script.toString(),
                deb.toString()));
        assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
        assertTrue(r.stdout().contains("systemd.sh: PASS"), r.stdout());
    }
}
