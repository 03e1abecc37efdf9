package org.qemu.helpers.deploy.libvirt;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.qemu.helpers.slirpdhcp.qemu.LinuxGuest;

/**
 * A libvirt domain that boots the busybox Linux guest of helper-slirp-dhcp's test harness by direct kernel boot
 * (TCG): one {@code <interface type='user'>} per MAC (libvirt starts one slirp helper for each), the serial console
 * in a file, and optionally {@code <graphics type='dbus'/>} with a VGA console. The guest gets its lease on eth0,
 * runs the test's script and, as long as the script runs, stays up.
 */
record Domain(String name, Path initrd, Path serial, List<String> macs, boolean dbusDisplay) {
    static Domain of(Path dir, String name, String script, List<String> macs, boolean dbusDisplay) throws Exception {
        return new Domain(name, LinuxGuest.initrd(dir, name, script), dir.resolve(name + "-serial.txt"), macs,
                dbusDisplay);
    }

    String xml() throws Exception {
        StringBuilder nics = new StringBuilder();
        for (String mac : macs) {
            nics.append("    <interface type='user'><mac address='").append(mac)
                    .append("'/><model type='virtio'/></interface>\n");
        }
        return "<domain type='qemu'>\n"
                + "  <name>" + name + "</name>\n"
                + "  <memory unit='MiB'>256</memory>\n"
                + "  <vcpu>1</vcpu>\n"
                + "  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>" + LinuxGuest.kernel() + "</kernel>"
                + "<initrd>" + initrd + "</initrd><cmdline>console=ttyS0 quiet panic=-1</cmdline></os>\n"
                + "  <on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot><on_crash>destroy</on_crash>\n"
                + "  <devices>\n"
                + "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
                + nics
                + "    <serial type='file'><source path='" + serial + "'/><target port='0'/></serial>\n"
                + (dbusDisplay ? "    <graphics type='dbus'/>\n    <video><model type='vga'/></video>\n" : "")
                + "  </devices>\n"
                + "</domain>\n";
    }

    /** Defines the domain (persistent, so that it can be started again) from its XML in {@code dir}. */
    void define(Libvirtd libvirt) throws Exception {
        Path x = libvirt.dir().resolve(name + ".xml");
        Files.writeString(x, xml());
        libvirt.virshOk("define", x.toString());
    }

    String serialText() throws Exception {
        return Files.exists(serial) ? Files.readString(serial) : "";
    }

    /** Waits until the serial console satisfies {@code done}; returns it. */
    String await(Predicate<String> done, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String out = serialText();
        while (System.nanoTime() < deadline && !done.test(out)) {
            Thread.sleep(250);
            out = serialText();
        }
        assertTrue(done.test(out), what + " within " + timeout.toSeconds() + " s; serial console:\n" + out);
        return out;
    }

    String awaitLine(String marker, Duration timeout) throws Exception {
        return await(s -> s.contains(marker), timeout, "'" + marker + "' on the serial console");
    }
}
