package org.qemu.helpers.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qemu.helpers.common.jvm.HelperJvmFlags;

/** The command line of each helper and of QEMU in a launched VM: one place that wires them together. */
final class HelperArgs {
    /** JVM flags for helper processes: {@link HelperJvmFlags#COMMON} (the one source, shared with the test harness). */
    static final List<String> JVM_FLAGS = HelperJvmFlags.COMMON;

    /** The JVM this tool runs on: it runs the helpers and writes their AppCDS archives (an archive fits one JDK build). */
    static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    /** Environment for helper processes: fewer glibc malloc arenas, less idle RSS for a mostly idle process. */
    static final java.util.Map<String, String> ENVIRONMENT = java.util.Map.of("MALLOC_ARENA_MAX", "2");

    private HelperArgs() {
    }

    /** Per-helper JVM flags after the common ones: {@link HelperJvmFlags#extra}. */
    static List<String> extraJvmFlags(HelperKind k) {
        return HelperJvmFlags.extra(k.shortName());
    }

    /** All JVM flags of a helper but the AppCDS ones: {@link #JVM_FLAGS}, then {@link #extraJvmFlags}. */
    static List<String> jvmFlags(HelperKind k) {
        return HelperJvmFlags.of(k.shortName());
    }

    /** The helper's own options (CONTRACT.md) for this VM's layout; {@code web} is the UI client's HOST:PORT. */
    static List<String> helperOptions(HelperKind k, VmLayout vm, String web) {
        return switch (k) {
            case SLIRP_DHCP -> List.of("--netdev-socket=" + vm.slirpSocket());
            case COMPRESS -> List.of("--root=" + vm.compressRoot());
            case TPM_STUB -> List.of("--server=unix:" + vm.tpmData(), "--ctrl=unix:" + vm.tpmCtrl());
            case UI_CLIENT -> List.of("--web=" + web);
        };
    }

    /** The subcommand a helper's jar runs before its options, if any. */
    static List<String> subcommand(HelperKind k) {
        return k == HelperKind.UI_CLIENT ? List.of("serve") : List.of();
    }

    /** The full command of one helper process. */
    static List<String> helperCommand(HelperKind k, VmLayout vm, CdsArchive cds, String busAddress, String web,
                                      Path policy) {
        return helperCommand(k, vm, cds, busAddress, web, policy, vm.state(k), List.of());
    }

    /** The full command of one helper process with its state in {@code stateDir}, {@code extra} options last. */
    static List<String> helperCommand(HelperKind k, VmLayout vm, CdsArchive cds, String busAddress, String web,
                                      Path policy, Path stateDir, List<String> extra) {
        List<String> cmd = new ArrayList<>();
        cmd.add(JAVA);
        cmd.addAll(jvmFlags(k));
        cmd.addAll(cds.flags());
        cmd.add("-jar");
        cmd.add(cds.jar().toString());
        cmd.addAll(subcommand(k));
        cmd.add("--bus-address=" + busAddress);
        cmd.add("--state-dir=" + stateDir);
        if (policy != null) {
            cmd.add("--policy=" + policy);
        }
        cmd.addAll(helperOptions(k, vm, web));
        cmd.addAll(extra);
        return cmd;
    }

    /** QEMU for the demo: D-Bus display and dbus-vmstate on the bus, NIC and TPM wired to the helpers. */
    static List<String> qemuCommand(VmLayout vm, List<HelperKind> helpers, List<String> extra) {
        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-name", "qemu-dbus-helpers-demo",
                "-machine", "pc", "-m", "256", "-nodefaults", "-no-user-config",
                "-display", "dbus,addr=" + vm.qemuBusAddress() + ",gl=off", "-vga", "std",
                "-usb", "-device", "usb-tablet",
                "-object", "dbus-vmstate,id=dv,addr=" + vm.qemuBusAddress(),
                "-qmp", "unix:" + vm.qmp() + ",server=on,wait=off",
                // append=on: the QEMU that a migration starts continues the serial log of the one before it
                "-chardev", "file,id=serial0,path=" + vm.log("guest-serial") + ",append=on", "-serial", "chardev:serial0"));
        if (helpers.contains(HelperKind.SLIRP_DHCP)) {
            cmd.addAll(List.of("-netdev", "stream,id=n0,server=off,addr.type=unix,addr.path=" + vm.slirpSocket(),
                    "-device", "virtio-net-pci,netdev=n0"));
        }
        if (helpers.contains(HelperKind.TPM_STUB)) {
            cmd.addAll(List.of("-chardev", "socket,id=tpmctrl,path=" + vm.tpmCtrl(),
                    "-tpmdev", "emulator,id=tpm0,chardev=tpmctrl", "-device", "tpm-tis,tpmdev=tpm0"));
        }
        cmd.addAll(extra);
        return cmd;
    }
}
