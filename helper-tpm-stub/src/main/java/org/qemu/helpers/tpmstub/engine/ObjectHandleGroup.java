package org.qemu.helpers.tpmstub.engine;

/** A command group whose handles are all TPMI_DH_OBJECT: a loaded transient or an existing persistent object. */
interface ObjectHandleGroup extends CommandGroup {
    EngineCore core();

    @Override
    default long handle(CommandCode cc, int index, long h) throws TpmFormatException {
        return EngineCore.objectHandle(h);
    }

    @Override
    default void checkLoaded(CommandCode cc, int index, long h) throws TpmFormatException {
        core().checkObjectLoaded(h);
    }
}
