package org.qemu.helpers.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line of each helper and of QEMU in a launched VM: one place that wires them together. */
final class HelperArgs {
    /**
     * JVM flags for helper processes, chosen for start-up time and idle RSS (deploy/bench/startup.sh):
     * one GC thread, C1 only with one compiler thread (measured: -9 % start-up on 2 cores, where a
     * second compiler thread competes with the start itself), a heap that gives memory back after a
     * collection, no hsperfdata file. A young generation that starts at 1 MiB (the JVM's choice
     * here, 2.7 MiB, is all touched during start-up: -1.2 MiB idle RSS; it grows with the old one
     * under load) and a native heap trimmed every 5 s (the compilers' arenas go back to malloc, and
     * malloc keeps them: -1 MiB; the option needs JDK 17.0.9 or later).
     */
    static final List<String> JVM_FLAGS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-XX:CICompilerCount=1", "-Xss512k",
            "-XX:MaxRAM=256m", "-XX:NewSize=1m", "-XX:ReservedCodeCacheSize=32m", "-XX:MinHeapFreeRatio=5",
            "-XX:MaxHeapFreeRatio=10", "-XX:TrimNativeHeapInterval=5000", "-XX:-UsePerfData", "-Xshare:auto");

    /** The JVM this tool runs on: it runs the helpers and writes their AppCDS archives (an archive fits one JDK build). */
    static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    /** Environment for helper processes: fewer glibc malloc arenas, less idle RSS for a mostly idle process. */
    static final java.util.Map<String, String> ENVIRONMENT = java.util.Map.of("MALLOC_ARENA_MAX", "2");

    private HelperArgs() {
    }

    /**
     * Per-helper JVM flags after the common ones (a later flag wins). helper-compress needs heap
     * for xz (an org.tukaani:xz preset-6 encoder holds about 94 MiB on the Java heap, per worker)
     * and the C2 JIT, since xz is pure Java (zstd, lz4 and gzip run native code); C1 and C2 need
     * a compiler thread each. helper-tpm-stub gets C2 too: on C1 alone its PCR_Extend rate was
     * 0.94x swtpm's, on C2 1.19x (helper-tpm-stub/bench/bench.sh, quiet machine, median of 5).
     * Its tier-3 (profiled C1) thresholds are ten times the default, so that code run only while
     * starting is not compiled with profiling: C2 with default thresholds cost 3.2 MiB idle RSS
     * (49.3 MiB), with these 1.6 MiB (47.7 MiB), and the rate stays at parity with swtpm.
     */
    static List<String> extraJvmFlags(HelperKind k) {
        return switch (k) {
            case COMPRESS -> List.of("-Xmx768m", "-XX:TieredStopAtLevel=4", "-XX:CICompilerCount=2");
            case TPM_STUB -> List.of("-XX:TieredStopAtLevel=4", "-XX:CICompilerCount=2",
                    "-XX:Tier3InvocationThreshold=2000", "-XX:Tier3MinInvocationThreshold=1000",
                    "-XX:Tier3CompileThreshold=20000", "-XX:Tier3BackEdgeThreshold=600000");
            case SLIRP_DHCP, UI_CLIENT -> List.of();
        };
    }

    /** All JVM flags of a helper but the AppCDS ones: {@link #JVM_FLAGS}, then {@link #extraJvmFlags}. */
    static List<String> jvmFlags(HelperKind k) {
        List<String> flags = new ArrayList<>(JVM_FLAGS);
        flags.addAll(extraJvmFlags(k));
        return flags;
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
        List<String> cmd = new ArrayList<>();
        cmd.add(JAVA);
        cmd.addAll(jvmFlags(k));
        cmd.addAll(cds.flags());
        cmd.add("-jar");
        cmd.add(cds.jar().toString());
        cmd.addAll(subcommand(k));
        cmd.add("--bus-address=" + busAddress);
        cmd.add("--state-dir=" + vm.state(k));
        if (policy != null) {
            cmd.add("--policy=" + policy);
        }
        cmd.addAll(helperOptions(k, vm, web));
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
                "-serial", "file:" + vm.log("guest-serial")));
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
