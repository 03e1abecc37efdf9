package org.qemu.helpers.common.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.qemu.helpers.common.qmp.Qmp;

/** A real qemu-system-x86_64 process (Debian's qemu-system-x86) with a QMP socket, killed on close. */
public final class Qemu implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final Qmp qmp;

    private Qemu(Process process, Path log, Qmp qmp) {
        this.process = process;
        this.log = log;
        this.qmp = qmp;
    }

    /** Starts QEMU with {@code args} plus -qmp on a socket in {@code dir} and connects QMP. */
    public static Qemu start(Path dir, String name, List<String> args) throws IOException, InterruptedException {
        Tools.require("qemu-system-x86_64", "qemu-system-x86");
        Path qmpSock = dir.resolve(name + ".qmp");
        Path log = dir.resolve(name + ".log");
        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-nodefaults", "-no-user-config",
                "-qmp", "unix:" + qmpSock + ",server=on,wait=off"));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            return new Qemu(p, log, Qmp.connect(qmpSock, Duration.ofSeconds(20)));
        } catch (IOException e) {
            p.destroyForcibly();
            throw new IOException(e.getMessage() + "; QEMU said: " + Files.readString(log, StandardCharsets.UTF_8), e);
        }
    }

    public Qmp qmp() {
        return qmp;
    }

    public String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws IOException {
        qmp.close();
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
