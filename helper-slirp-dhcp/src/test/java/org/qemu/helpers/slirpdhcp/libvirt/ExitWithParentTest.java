package org.qemu.helpers.slirpdhcp.libvirt;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.slirpdhcp.SlirpHelperMain;

/**
 * libvirt's command line through SlirpHelperMain on a real bus: the instance name from --dbus-id, and
 * --exit-with-parent: the helper's parent (a shell) is killed, the helper gets SIGTERM and stops cleanly.
 */
class ExitWithParentTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @Test
    void helperStopsWhenItsParentDies() throws Exception {
        Path log = BUS.dir().resolve("helper.log");
        Path pidFile = BUS.dir().resolve("helper.pid");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cmd = "'" + java + "' -XX:TieredStopAtLevel=1 -cp '" + System.getProperty("java.class.path") + "' "
                + SlirpHelperMain.class.getName() + " --dbus-address=" + BUS.address()
                + " --dbus-id=slirp-52:54:00:aa:bb:07 --exit-with-parent --netdev-socket=" + BUS.dir().resolve("n.sock")
                + " --state-dir=" + BUS.dir().resolve("state") + " --upstream=127.0.0.1:9 2> '" + log + "' &"
                + " echo $! > '" + pidFile + "'; wait";
        Process parent = new ProcessBuilder("sh", "-c", cmd).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && !(Files.exists(log) && Files.readString(log).contains(" ready "))) {
            Thread.sleep(100);
        }
        assertTrue(Files.readString(log).contains("bus_name=org.qemu.SlirpDhcp1.slirp_52_54_00_aa_bb_07"),
                Files.readString(log));
        long helper = Long.parseLong(Files.readString(pidFile).strip());
        parent.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: the shell cannot pass anything on
        ProcessHandle h = ProcessHandle.of(helper).orElse(null);
        if (h != null) {
            h.onExit().get(30, TimeUnit.SECONDS);
        }
        assertFalse(ProcessHandle.of(helper).map(ProcessHandle::isAlive).orElse(false), "helper still running");
        String out = Files.readString(log);
        assertTrue(out.contains("stopping reason=SIGTERM") && out.contains("stopped exit_code=0"), out);
        List<String> names = List.of(BUS.busctl("list", "--no-legend").stdout().split("\n"));
        assertFalse(names.stream().anyMatch(l -> l.startsWith("org.qemu.SlirpDhcp1")), "name released: " + names);
    }
}
