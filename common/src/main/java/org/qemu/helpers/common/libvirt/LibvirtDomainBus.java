package org.qemu.helpers.common.libvirt;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The per-VM D-Bus bus libvirt runs for a domain (for a slirp helper or {@code <graphics type='dbus'/>}), found
 * through {@code virsh} of libvirt-clients rather than a Java binding: libvirt's Java binding (org.libvirt:libvirt)
 * is not among the artifacts served here and would load libvirt.so through JNA anyway, while virsh is libvirt's own
 * client, installed wherever libvirt is, speaks every URI and authentication libvirt supports, and the two calls
 * are cheap. Read-only connection ({@code virsh -r}): nothing is changed.
 *
 * <p>First {@code virsh domdisplay --type dbus NAME}, which libvirt 9.0 answers with the display's bus
 * ({@code dbus+unix:///run/libvirt/qemu/dbus/ID-NAME-dbus.sock}, the address libvirt gave QEMU's -display dbus).
 * A domain without a D-Bus display still has the bus when it has a slirp helper; its path then follows libvirt's
 * naming (src/qemu/qemu_dbus.c: the driver's state directory, {@code dbus/}, the domain's short name
 * {@code ID-NAME} with NAME cut to 20 characters, {@code -dbus.sock}), from {@code virsh domid NAME}.
 */
public final class LibvirtDomainBus {
    private static final int SHORT_NAME_MAX = 20;

    /** The domain's bus cannot be found; the message says why (virsh's own words where it failed). */
    public static final class NotFoundException extends Exception {
        public NotFoundException(String message) {
            super(message);
        }
    }

    private LibvirtDomainBus() {
    }

    /** The D-Bus address of {@code domain}'s bus; {@code uri} null for virsh's default connection. */
    public static String address(String domain, String uri) throws NotFoundException {
        if (domain.isEmpty() || domain.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new NotFoundException("not a domain name");
        }
        Result display = virsh(uri, "domdisplay", "--type", "dbus", domain);
        String shown = display.out.strip();
        if (display.ok && shown.startsWith("dbus+unix://")) {
            return "unix:path=" + shown.substring("dbus+unix://".length());
        }
        Result id = virsh(uri, "domid", domain);
        if (!id.ok) {
            throw new NotFoundException("virsh" + (uri == null ? "" : " -c " + uri) + " domid "
                    + domain + ": " + firstLine(id.err));
        }
        String n = id.out.strip();
        if (!n.matches("[0-9]+")) {
            throw new NotFoundException("domain " + domain + " is not running (virsh domid: '"
                    + firstLine(n) + "')");
        }
        Path sock = stateDir(uri).resolve("dbus").resolve(n + "-" + shortName(domain) + "-dbus.sock");
        if (!Files.exists(sock)) {
            throw new NotFoundException("domain " + domain + " has no bus at " + sock
                    + ": libvirt runs one only for a slirp helper (<interface type='user'> with slirp_helper in"
                    + " qemu.conf) or <graphics type='dbus'/>");
        }
        return "unix:path=" + sock;
    }

    /** libvirt's QEMU driver state directory for {@code uri}: qemu:///system and the default for root, or session. */
    static Path stateDir(String uri) {
        boolean session = uri == null ? !isRoot() : uri.startsWith("qemu:///session");
        if (!session) {
            return Path.of("/run/libvirt/qemu");
        }
        String runtime = System.getenv("XDG_RUNTIME_DIR");
        return Path.of(runtime == null || runtime.isEmpty() ? System.getProperty("user.home") + "/.cache" : runtime,
                "libvirt/qemu/run");
    }

    /** virDomainDefGetShortName without the id: the name cut to 20 characters. */
    static String shortName(String name) {
        return name.codePointCount(0, name.length()) <= SHORT_NAME_MAX ? name
                : name.substring(0, name.offsetByCodePoints(0, SHORT_NAME_MAX));
    }

    private static boolean isRoot() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue() == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private record Result(boolean ok, String out, String err) {
    }

    private static Result virsh(String uri, String... args) throws NotFoundException {
        List<String> cmd = new ArrayList<>(List.of("virsh", "-q", "-r"));
        if (uri != null) {
            cmd.addAll(List.of("-c", uri));
        }
        cmd.addAll(List.of(args));
        try {
            Path err = Files.createTempFile("virsh-", ".err");
            try {
                Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectError(err.toFile()).start();
                byte[] out = p.getInputStream().readNBytes(64 * 1024);
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new NotFoundException("virsh did not answer within 30 s");
                }
                return new Result(p.exitValue() == 0, new String(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new NotFoundException("cannot run virsh (apt-get install libvirt-clients): "
                    + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotFoundException("interrupted");
        }
    }

    private static String firstLine(String s) {
        String l = s.strip().lines().findFirst().orElse("");
        return l.length() > 200 ? l.substring(0, 200) : l;
    }
}
