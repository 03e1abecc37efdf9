package org.qemu.helpers.common.jvm;

import java.util.ArrayList;
import java.util.List;

/**
 * The JVM flags every helper process runs with, in one place: deploy's launcher (and through it the
 * packaged launchers and systemd units) and the test harness read them from here.
 */
public final class HelperJvmFlags {
    /**
     * Chosen for start-up time and idle RSS (deploy/bench/startup.sh): one GC thread, C1 only with
     * one compiler thread (measured: -9 % start-up on 2 cores, where a second compiler thread
     * competes with the start itself), a heap that gives memory back after a collection, no
     * hsperfdata file. A young generation that starts at 1 MiB (the JVM's choice here, 2.7 MiB, is
     * all touched during start-up: -1.2 MiB idle RSS; it grows with the old one under load) and a
     * native heap trimmed every 5 s (the compilers' arenas go back to malloc, and malloc keeps
     * them: -1 MiB; the option needs JDK 17.0.9 or later).
     */
    public static final List<String> COMMON = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-XX:CICompilerCount=1", "-Xss512k",
            "-XX:MaxRAM=256m", "-XX:NewSize=1m", "-XX:ReservedCodeCacheSize=32m", "-XX:MinHeapFreeRatio=5",
            "-XX:MaxHeapFreeRatio=10", "-XX:TrimNativeHeapInterval=5000", "-XX:-UsePerfData", "-Xshare:auto");

    private HelperJvmFlags() {
    }

    /**
     * Per-helper flags after the common ones (a later flag wins), by the helper's short name.
     * helper-compress needs heap for xz (an org.tukaani:xz preset-6 encoder holds about 94 MiB on
     * the Java heap, per worker) and the C2 JIT, since xz is pure Java (zstd, lz4 and gzip run
     * native code); C1 and C2 need a compiler thread each. helper-tpm-stub gets C2 too: on C1 alone
     * its PCR_Extend rate was 0.94x swtpm's, on C2 1.19x (helper-tpm-stub/bench/bench.sh, quiet
     * machine, median of 5). Its tier-3 (profiled C1) thresholds are ten times the default, so that
     * code run only while starting is not compiled with profiling: C2 with default thresholds cost
     * 3.2 MiB idle RSS (49.3 MiB), with these 1.6 MiB (47.7 MiB), and the rate stays at parity with
     * swtpm.
     */
    public static List<String> extra(String helper) {
        return switch (helper) {
            case "compress" -> List.of("-Xmx768m", "-XX:TieredStopAtLevel=4", "-XX:CICompilerCount=2");
            case "tpm-stub" -> List.of("-XX:TieredStopAtLevel=4", "-XX:CICompilerCount=2",
                    "-XX:Tier3InvocationThreshold=2000", "-XX:Tier3MinInvocationThreshold=1000",
                    "-XX:Tier3CompileThreshold=20000", "-XX:Tier3BackEdgeThreshold=600000");
            default -> List.of();
        };
    }

    /** {@link #COMMON}, then {@link #extra}. */
    public static List<String> of(String helper) {
        List<String> flags = new ArrayList<>(COMMON);
        flags.addAll(extra(helper));
        return flags;
    }
}
