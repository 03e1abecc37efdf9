package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.util.Set;

/** Part 3 chapter 24 (Hierarchy Commands): HierarchyChangeAuth. */
final class HierarchyCommands implements CommandGroup {
    private final EngineCore core;

    HierarchyCommands(EngineCore core) {
        this.core = core;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.HIERARCHY_CHANGE_AUTH);
    }

    @Override
    public long handle(CommandCode cc, int index, long h) throws TpmFormatException {
        // TPMI_RH_HIERARCHY_AUTH
        if (h != TpmEngine.RH_OWNER && h != TpmEngine.RH_PLATFORM && h != TpmEngine.RH_ENDORSEMENT
                && h != TpmEngine.RH_LOCKOUT) {
            throw new TpmFormatException(TpmRc.VALUE);
        }
        return h;
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        byte[] auth = param(c.in(), 1, rd -> rd.tpm2b(Params.MAX_DIGEST));
        noMoreParams(c.in());
        hierarchyChangeAuth(c.handle(0), Authorisation.stripTrailingZeros(auth));
    }

    /** Part 3 24.8 TPM2_HierarchyChangeAuth. */
    private void hierarchyChangeAuth(long handle, byte[] auth) {
        TpmState st = core.st;
        if (handle == TpmEngine.RH_OWNER) {
            st.ownerAuth = auth;
            core.dirtyPermanent = true;
        } else if (handle == TpmEngine.RH_ENDORSEMENT) {
            st.endorsementAuth = auth;
            core.dirtyPermanent = true;
        } else if (handle == TpmEngine.RH_LOCKOUT) {
            st.lockoutAuth = auth;
            core.dirtyPermanent = true;
        } else {
            st.platformAuth = auth;
            core.clearOrderly = true;
            core.dirtyVolatile = true;
        }
    }
}
