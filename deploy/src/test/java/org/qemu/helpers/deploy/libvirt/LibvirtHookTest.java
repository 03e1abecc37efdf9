package org.qemu.helpers.deploy.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qemu.helpers.common.testing.Tools;

/**
 * The libvirt hook (deploy/libvirt/hooks/qemu.d/qemu-dbus-helpers) on its own, with libvirt's argv and XML on stdin
 * and its paths pointed at the test's directory: it holds a start only when qemu.conf's slirp_helper is this suite's
 * (the package installs it on every libvirt host) and the domain has slirp helpers. LibvirtSlirpIT runs it under a
 * real libvirtd; here, the cases that libvirtd run cannot show quickly.
 */
class LibvirtHookTest {
    static final Path HOOK = Path.of("libvirt/hooks/qemu.d/qemu-dbus-helpers").toAbsolutePath();

    @TempDir
    Path dir;

    record Run(int exit, long millis, String stderr) {
    }

    Run hook(String slirpHelper, String operation) throws Exception {
        Tools.require("busctl", "systemd");
        Files.createDirectories(dir.resolve("run/slirp"));
        Files.createDirectories(dir.resolve("run/dbus"));
        Files.writeString(dir.resolve("run/slirp/7-vm1-net0-slirp.pid"), "1\n"); // one NIC's helper
        Files.writeString(dir.resolve("qemu.conf"), "user = \"root\"\nslirp_helper = \"" + slirpHelper + "\"\n");
        ProcessBuilder pb = new ProcessBuilder(HOOK.toString(), "vm1", operation, "begin", "-")
                .redirectError(dir.resolve("stderr.txt").toFile());
        pb.environment().putAll(java.util.Map.of("QEMU_HELPERS_LIBVIRT_RUN", dir.resolve("run").toString(),
                "QEMU_HELPERS_LIBVIRT_QEMU_CONF", dir.resolve("qemu.conf").toString(), "QEMU_HELPERS_HOOK_TIMEOUT", "3"));
        long start = System.nanoTime();
        Process p = pb.start();
        try (var xml = p.getOutputStream()) {
            xml.write("<domain type='qemu' id='7'>\n  <name>vm1</name>\n</domain>\n".getBytes());
        } catch (java.io.IOException e) {
            // the hook need not read the XML (other operations): libvirt ignores that too (EPIPE)
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the hook returned");
        return new Run(p.exitValue(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
                Files.readString(dir.resolve("stderr.txt")));
    }

    @Test
    void anotherSlirpHelperIsNotWaitedFor() throws Exception {
        Path libslirp = Files.writeString(dir.resolve("slirp-helper"), "\u007fELF not this suite's\n");
        Run r = hook(libslirp.toString(), "start");
        assertEquals(0, r.exit());
        assertTrue(r.millis() < 2500 && r.stderr().isEmpty(), r.toString());
    }

    @Test
    void thisSuitesHelperOrAWrapperNamingItIsWaitedForAtMostTheTimeout() throws Exception {
        Path wrapper = Files.writeString(dir.resolve("wrapper"),
                "#!/bin/sh\nexec /usr/libexec/qemu-dbus-helpers/slirp-helper \"$@\" --policy /etc/p.json\n");
        for (Path helper : List.of(Path.of("bin/qemu-slirp-helper").toAbsolutePath(), wrapper)) {
            Run r = hook(helper.toString(), "start");
            assertEquals(0, r.exit(), "libvirt goes on either way");
            assertTrue(r.millis() >= 2000, helper + ": waited (whole seconds of date +%s) for the helper on the bus: " + r);
            assertTrue(r.stderr().contains("0 of 1 slirp helpers of vm1 ready on unix:path=" + dir.resolve("run/dbus/7-vm1-dbus.sock")
                    + " after 3 s; starting QEMU anyway"), r.toString());
        }
    }

    @Test
    void otherOperationsReturnAtOnce() throws Exception {
        Run r = hook(Path.of("bin/qemu-slirp-helper").toAbsolutePath().toString(), "stopped");
        assertEquals(0, r.exit());
        assertTrue(r.millis() < 2500 && r.stderr().isEmpty(), r.toString());
    }
}
