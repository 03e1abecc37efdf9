package org.qemu.helpers.common.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an external command with a timeout and collects its output. */
public final class Commands {
    private Commands() {
    }

    public static ProcResult run(Duration timeout, List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("cmd-out", ".txt");
        Path err = Files.createTempFile("cmd-err", ".txt");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IOException("timed out after " + timeout + ": " + command);
            }
            return new ProcResult(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    public static ProcResult run(String... command) throws IOException, InterruptedException {
        return run(Duration.ofSeconds(30), List.of(command));
    }

    /** {@code command} run as {@code uid}/{@code uid} with no supplementary groups (util-linux setpriv). */
    public static ProcResult runAs(long uid, String... command) throws IOException, InterruptedException {
        return runAs(uid, Duration.ofSeconds(30), List.of(command));
    }

    /** {@code command} run as {@code uid}/{@code uid} with no supplementary groups, within {@code timeout}. */
    public static ProcResult runAs(long uid, Duration timeout, List<String> command)
            throws IOException, InterruptedException {
        Tools.require("setpriv", "util-linux");
        List<String> c = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups"));
        c.addAll(command);
        return run(timeout, c);
    }
}
