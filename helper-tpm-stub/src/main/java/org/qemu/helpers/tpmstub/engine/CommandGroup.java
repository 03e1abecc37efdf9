package org.qemu.helpers.tpmstub.engine;

import java.util.Set;

/** The commands of one TPM 2.0 Part 3 chapter: their handle checks and their actions. */
interface CommandGroup {
    Set<CommandCode> commands();

    /**
     * Unmarshals handle {@code index} (0-based) of {@code cc} (the TPMI_ type of its handle area);
     * a failure is numbered by the engine.
     */
    default long handle(CommandCode cc, int index, long h) throws TpmFormatException {
        throw new IllegalStateException("no handle for " + cc);
    }

    /**
     * After every handle is unmarshalled: handle {@code index} must refer to something that exists
     * (Part 4 Entity.c EntityGetLoadStatus), else TPM_RC_REFERENCE_H0, TPM_RC_HANDLE, ...
     */
    default void checkLoaded(CommandCode cc, int index, long h) throws TpmFormatException {
    }

    /** Reads the parameters, acts, writes the response parameters. */
    void execute(Command c) throws TpmFormatException;
}
