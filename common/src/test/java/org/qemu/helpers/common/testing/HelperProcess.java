package org.qemu.helpers.common.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.qemu.helpers.common.jvm.HelperJvmFlags;

/**
 * A helper running as a real process (its own JVM, the test's class path), the way the
 * launcher runs it. Its stderr (the one-line log) is kept in a file for assertions.
 */
public final class HelperProcess {
    /** The JVM flags the launcher uses too: the one list in {@link HelperJvmFlags#COMMON}. */
    public static final List<String> JVM_FLAGS = HelperJvmFlags.COMMON;

    private final Process process;
    private final Path log;

    private HelperProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static HelperProcess start(Class<?> mainClass, String busAddress, Path dir, List<String> args) throws IOException {
        return start(List.of(), mainClass, busAddress, dir, args);
    }

    /** As above with {@code extraJvmFlags} after {@link #JVM_FLAGS} (e.g. -Xmx768m for helper-compress, as the launcher). */
    static HelperProcess start(List<String> extraJvmFlags, Class<?> mainClass, String busAddress, Path dir,
                               List<String> args) throws IOException {
        Path log = Files.createTempFile(dir, mainClass.getSimpleName(), ".log");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_FLAGS);
        cmd.addAll(extraJvmFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        if (busAddress != null) {
            cmd.add("--bus-address=" + busAddress);
        }
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new HelperProcess(p, log);
    }

    /** Waits for the helper's "ready" log line; fails with its output if it exits or times out. */
    public HelperProcess awaitReady(Duration timeout) throws IOException, InterruptedException {
        return awaitLog(" ready ", timeout);
    }

    /** Waits until the log contains {@code text}. */
    public HelperProcess awaitLog(String text, Duration timeout) throws IOException, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (output().contains(text)) {
                return this;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("helper exited with " + process.exitValue() + " before '" + text.strip()
                        + "':\n" + output());
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("helper did not log '" + text.strip() + "' within " + timeout + ":\n" + output());
    }

    /** Waits for the process to end by itself; returns its exit code. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            kill();
            throw new IllegalStateException("helper did not exit within " + timeout);
        }
        return process.exitValue();
    }

    /** SIGTERM, then waits; returns the exit code. */
    public int stop() throws InterruptedException {
        process.destroy();
        return awaitExit(Duration.ofSeconds(15));
    }

    /** SIGKILL, like a crash. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Everything the helper printed so far. */
    public String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }
}
