package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.util.Set;

/** Part 3 chapter 24 (Hierarchy Commands): CreatePrimary, Clear, HierarchyChangeAuth. */
final class HierarchyCommands implements CommandGroup {
    private final EngineCore core;
    private final PcrCommands pcrs;

    HierarchyCommands(EngineCore core, PcrCommands pcrs) {
        this.core = core;
        this.pcrs = pcrs;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.HIERARCHY_CHANGE_AUTH, CommandCode.CREATE_PRIMARY, CommandCode.CLEAR);
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
        if (cc == CommandCode.CLEAR) {
            // TPMI_RH_CLEAR
            if (h != TpmEngine.RH_LOCKOUT && h != TpmEngine.RH_PLATFORM) {
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
        if (c.cc() == CommandCode.CLEAR) {
            noMoreParams(c.in());
            clear();
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

    /** TPMA_NV_PLATFORMCREATE (Part 2 13.4): the index belongs to the platform and survives Clear. */
    private static final int NV_PLATFORMCREATE = 1 << 30;

    /**
     * Part 3 24.6 TPM2_Clear (libtpms's order): new SPS, shProof and ehProof (so every owner and
     * endorsement key, ticket and saved context of before is gone), empty owner, endorsement and
     * lockout authValues, the transient and persistent objects of those hierarchies and the indices
     * not created by the platform deleted, dictionary-attack state as manufactured, the TPM clock at 0,
     * the PCR update counter bumped. resetCount and restartCount are kept (libtpms sets them to 0):
     * the NULL hierarchy's seed is derived from resetCount here, and must not repeat an earlier one.
     * There is no TPM2_ClearControl in this TPM, so Clear is never disabled.
     */
    private void clear() {
        TpmState st = core.st;
        TpmState.Secrets old = st.secrets;
        byte[] sps = new byte[TpmState.Secrets.SIZE];
        byte[] sh = new byte[TpmState.Secrets.SIZE];
        byte[] eh = new byte[TpmState.Secrets.SIZE];
        core.random.fill(sps);
        core.random.fill(sh);
        core.random.fill(eh);
        st.secrets = new TpmState.Secrets(old.eps(), sps, old.pps(), eh, sh, old.phProof());
        st.ownerAuth = new byte[0];
        st.endorsementAuth = new byte[0];
        st.lockoutAuth = new byte[0];
        for (Long h : java.util.List.copyOf(core.objects.handles())) {
            if (core.objects.get(h) instanceof TpmObject o
                    && (o.hierarchy == TpmEngine.RH_OWNER || o.hierarchy == TpmEngine.RH_ENDORSEMENT)) {
                core.objects.remove(h);
            }
        }
        st.persistent.values().removeIf(o -> o.hierarchy == TpmEngine.RH_OWNER || o.hierarchy == TpmEngine.RH_ENDORSEMENT);
        st.nv.values().removeIf(i -> (i.attributes & NV_PLATFORMCREATE) == 0);
        // DAPreInstall_Init: no failures, lockoutAuth usable
        st.failedTries = 0;
        st.lockoutAuthEnabled = true;
        st.lockoutFailedAtClock = 0;
        st.failedTriesHealedAtClock = 0;
        // go.clock = 0, clockSafe: the clock restarts from 0 now, time goes on
        st.timeAtInit = core.timeNow();
        core.initMillis = core.millis();
        st.clockAtInit = 0;
        st.clockSafe = true;
        st.pcrCounter++; // PCRChanged(0)
        core.dirtyPermanent = true;
        core.dirtyVolatile = true;
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
