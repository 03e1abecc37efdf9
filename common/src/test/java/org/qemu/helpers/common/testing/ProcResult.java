package org.qemu.helpers.common.testing;

/** The outcome of a finished command. */
public record ProcResult(int exitCode, String stdout, String stderr) {
    public boolean ok() {
        return exitCode == 0;
    }

    @Override
    public String toString() {
        return "exit=" + exitCode + " stdout=" + stdout.strip() + " stderr=" + stderr.strip();
    }
}
