package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.util.Set;

/** Part 3 chapter 24 (Hierarchy Commands): CreatePrimary, HierarchyChangeAuth. */
final class HierarchyCommands implements CommandGroup {
    private final EngineCore core;
    private final PcrCommands pcrs;

    HierarchyCommands(EngineCore core, PcrCommands pcrs) {
        this.core = core;
        this.pcrs = pcrs;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.HIERARCHY_CHANGE_AUTH, CommandCode.CREATE_PRIMARY);
    }

    @Override
    public long handle(CommandCode cc, int index, long h) throws TpmFormatException {
        if (cc == CommandCode.CREATE_PRIMARY) {
            // TPMI_RH_HIERARCHY+
            if (h != TpmEngine.RH_OWNER && h != TpmEngine.RH_PLATFORM && h != TpmEngine.RH_ENDORSEMENT
                    && h != TpmEngine.RH_NULL) {
                throw new TpmFormatException(TpmRc.VALUE);
            }
            return h;
        }
        // TPMI_RH_HIERARCHY_AUTH
        if (h != TpmEngine.RH_OWNER && h != TpmEngine.RH_PLATFORM && h != TpmEngine.RH_ENDORSEMENT
                && h != TpmEngine.RH_LOCKOUT) {
            throw new TpmFormatException(TpmRc.VALUE);
        }
        return h;
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        if (c.cc() == CommandCode.CREATE_PRIMARY) {
            createPrimary(c.handle(0), ObjectCreation.read(c.in()), c.locality(), c.out());
            return;
        }
        byte[] auth = param(c.in(), 1, rd -> rd.tpm2b(Params.MAX_DIGEST));
        noMoreParams(c.in());
        hierarchyChangeAuth(c.handle(0), Authorisation.stripTrailingZeros(auth));
    }

    /**
     * Part 3 24.1 TPM2_CreatePrimary: the object's key and seedValue come from the hierarchy's seed
     * (see {@link ObjectCreation#primaryStream}), so the same template gives the same key every time
     * until the seed changes; it is loaded into a transient slot.
     */
    private void createPrimary(long hierarchy, ObjectCreation.Request q, int locality, TpmWriter out)
            throws TpmFormatException {
        ObjectCreation.check(q, true);
        if (core.objects.size() >= ObjectSlots.MAX_LOADED_OBJECTS) {
            throw new TpmFormatException(TpmRc.OBJECT_MEMORY); // before the (slow) key generation
        }
        TpmObject o = core.primaries.primary(core.seed(hierarchy), q, hierarchy);
        core.responseHandle = core.objects.add(o);
        o.pub.writeTo(out);
        byte[] parent = Params.u32Bytes(hierarchy);
        ObjectCreation.writeCreation(core, pcrs, o, q, PublicArea.ALG_NULL, parent, parent, locality, out);
        out.tpm2b(o.name());
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
