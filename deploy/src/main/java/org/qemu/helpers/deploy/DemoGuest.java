package org.qemu.helpers.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The demo's Linux guest: Debian's kernel and the busybox initramfs of deploy/guest/ (the tests' guest with
 * demo-guest.sh appended), built from installed packages and cached. The guest learns its hostname and the
 * port of the demo's host page from the kernel command line.
 */
record DemoGuest(Path kernel, Path initrd, String hostname, int pagePort) {
    static final String HOSTNAME = "demo-guest";

    /** Builds (or finds cached) the initramfs with {@code repo}/deploy/guest/demo-initramfs.sh. */
    static DemoGuest build(Path repo, int pagePort) throws IOException, InterruptedException {
        Path script = repo.resolve("deploy/guest/demo-initramfs.sh");
        if (!Files.isRegularFile(script)) {
            throw new IOException(script + " is missing (the demo guest is built from the checkout's deploy/guest/)");
        }
        Process p = new ProcessBuilder("sh", script.toString(), cache().toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty()) {
            throw new IOException("building the demo guest failed: " + script + " (output above)");
        }
        return new DemoGuest(latestKernel(), Path.of(out), HOSTNAME, pagePort);
    }

    /** The tests' guest cache, so the demo and the tests build the base initramfs once. */
    static Path cache() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("qemu-dbus-helpers").resolve("slirp-guest");
    }

    static Path latestKernel() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/boot"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).sorted().reduce((a, b) -> b)
                    .orElseThrow(() -> new IOException("no /boot/vmlinuz-*: apt-get install linux-image-amd64"));
        }
    }

    /** QEMU's boot arguments: the kernel's console on the serial log, kernel words init reads as variables. */
    List<String> qemuArgs() {
        return List.of("-kernel", kernel.toString(), "-initrd", initrd.toString(), "-no-reboot", "-append",
                "console=ttyS0 quiet panic=-1 guest_checks=off guest_hostname=" + hostname + " demo_port=" + pagePort);
    }

    /**
     * The slirp helper's options for a bounded demo: --restrict with only the page's port open on the gateway,
     * and DNS forwarding aimed at a closed port of 127.0.0.1 (discard, port 9), so no query leaves the machine.
     */
    List<String> slirpArgs() {
        return List.of("--restrict", "--allow-gateway-port=" + pagePort, "--upstream=127.0.0.1:9");
    }
}
