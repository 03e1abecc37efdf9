package org.qemu.helpers.common.exit;

/**
 * The one exit-code table of every helper and client command of the suite. The systemd units
 * restart on failure except for {@link #CONFIG} ({@code RestartPreventExitStatus=2}): an invalid
 * configuration does not fix itself, while everything in {@link #STARTUP} may (the other peer goes
 * away, the address is freed, the bus comes up).
 */
public final class ExitCodes {
    /** Done: a helper stopped by SIGTERM/SIGINT after releasing its names, a client command that did its job. */
    public static final int OK = 0;
    /**
     * A client command's question got a negative answer (no display to capture, a job that failed);
     * for a helper, an unexpected crash (a bug: the stack trace is in the log).
     */
    public static final int FAILED = 1;
    /** Invalid options or configuration (bad value, bad policy file): not restarted. */
    public static final int CONFIG = 2;
    /**
     * Cannot start now: bus unreachable, bus name owned by another peer, VMState Id already queued, a
     * listen address taken or a listen path that is not a stale socket. Restarted.
     */
    public static final int STARTUP = 3;
    /** The bus daemon went away (restarted with the bus). */
    public static final int BUS_LOST = 4;

    private ExitCodes() {
    }
}
