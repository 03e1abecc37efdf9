package org.qemu.helpers.common.client;

import org.qemu.helpers.common.exit.ExitCodes;

/** Why a client command stops: one line for the user and its code in {@link ExitCodes}, the suite's one table. */
public final class ClientFailure extends Exception {
    private final int exitCode;

    private ClientFailure(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    /** Bad options, a bad policy file, a request the helper refused as invalid: {@value ExitCodes#CONFIG}. */
    public static ClientFailure config(String message) {
        return new ClientFailure(ExitCodes.CONFIG, message);
    }

    /** No bus, no helper, an owner not trusted, no launcher: {@value ExitCodes#STARTUP} (may work later). */
    public static ClientFailure unavailable(String message) {
        return new ClientFailure(ExitCodes.STARTUP, message);
    }

    /** The question got a negative answer (a job failed, no display): {@value ExitCodes#FAILED}. */
    public static ClientFailure failed(String message) {
        return new ClientFailure(ExitCodes.FAILED, message);
    }

    public int exitCode() {
        return exitCode;
    }
}
