package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.util.Arrays;
import java.util.Set;

/** Part 3 chapter 9 (Start-up: Startup, Shutdown) and chapter 10 (Testing: SelfTest). */
final class StartupCommands implements CommandGroup {
    private final EngineCore core;

    StartupCommands(EngineCore core) {
        this.core = core;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.STARTUP, CommandCode.SHUTDOWN, CommandCode.SELF_TEST);
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
        switch (c.cc()) {
            case STARTUP -> {
                int type = param(r, 1, StartupCommands::startupType);
                noMoreParams(r);
                startup(type, c.locality());
            }
            case SHUTDOWN -> {
                int type = param(r, 1, StartupCommands::startupType);
                noMoreParams(r);
                shutdown(type);
            }
            case SELF_TEST -> {
                // Part 3 10.2: a software TPM has nothing to test; fullTest is a TPMI_YES_NO
                param(r, 1, rd -> {
                    int v = rd.u8();
                    if (v > 1) {
                        throw new TpmFormatException(TpmRc.VALUE);
                    }
                    return v;
                });
                noMoreParams(r);
            }
            default -> throw new IllegalStateException("unhandled " + c.cc());
        }
    }

    private static int startupType(TpmReader r) throws TpmFormatException {
        int t = r.u16();
        if (t != TpmState.SU_CLEAR && t != TpmState.SU_STATE) {
            throw new TpmFormatException(TpmRc.VALUE);
        }
        return t;
    }

    /** Part 3 9.3 TPM2_Startup, with the TPM Reset / Restart / Resume rules of Part 1 12.2.6. */
    private void startup(int type, int locality) throws TpmFormatException {
        TpmState st = core.st;
        if (locality != 0 && locality != 3) {
            throw new TpmFormatException(TpmRc.LOCALITY);
        }
        // libtpms USE_DA_USED: a cycle that admitted a DA-protected authorisation did not end orderly
        core.daUsed = st.orderlyState == TpmState.SU_DA_USED;
        if (core.daUsed) {
            st.orderlyState = TpmState.SU_NONE;
        }
        int prev = st.orderlyState;
        boolean locality3 = locality == 3 && !core.drtmPreStartup; // an H-CRTM startup counts as locality 0
        if (type == TpmState.SU_STATE) {
            if (prev != TpmState.SU_STATE) {
                throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 1));
            }
            if (st.savedLocality3 != locality3) {
                throw new TpmFormatException(TpmRc.LOCALITY);
            }
        }
        boolean resume = prev == TpmState.SU_STATE && type == TpmState.SU_STATE;
        core.flushLoaded();
        boolean restart = prev == TpmState.SU_STATE && type == TpmState.SU_CLEAR;
        if (prev == TpmState.SU_NONE) {
            st.clockSafe = false;
        }
        st.platformAuth = resume ? st.savedPlatformAuth : new byte[0];
        st.pcrCounter = (resume || restart) ? st.savedPcrCounter : 0;
        for (int pcr = 0; pcr < PcrAttributes.COUNT; pcr++) {
            boolean saved = resume && PcrAttributes.stateSaved(pcr);
            if (!saved) {
                PcrCommands.pcrChanged(st, pcr);
            }
            if (pcr == PcrAttributes.HCRTM_PCR && !resume && core.drtmPreStartup) {
                continue; // Part 4 PCR.c PCRStartup: an H-CRTM measurement stays in PCR 0
            }
            for (HashAlg bank : st.allocated) {
                byte[] v = st.pcrs[bank.ordinal()][pcr];
                if (saved) {
                    System.arraycopy(st.savedPcrs[bank.ordinal()][pcr], 0, v, 0, v.length);
                } else if (PcrAttributes.startsAllOnes(pcr)) {
                    Arrays.fill(v, (byte) 0xFF);
                } else {
                    Arrays.fill(v, (byte) 0);
                    if (pcr == PcrAttributes.HCRTM_PCR) {
                        v[v.length - 1] = (byte) locality;
                    }
                }
            }
        }
        if (!resume) {
            NvCommands.startupClear(st);
        }
        // Part 4 DA.c DAStartup: a failure may have gone unrecorded in an unorderly cycle
        if (st.failedTries < TpmState.MAX_TRIES && !TpmState.isOrderly(prev)) {
            st.failedTries += core.daUsed ? 1 : 0;
            core.daUsed = false;
        }
        st.failedTriesHealedAtClock = core.clockNow();
        if (resume || restart) {
            st.restartCount = (st.restartCount + 1) & 0xFFFFFFFFL;
        } else {
            st.resetCount = (st.resetCount + 1) & 0xFFFFFFFFL;
            st.restartCount = 0;
        }
        st.prevOrderlyState = prev;
        st.startupLocality3 = locality3;
        st.orderlyState = TpmState.SU_NONE;
        st.started = true;
        core.dirtyPermanent = true;
        core.dirtyVolatile = true;
    }

    /** Part 3 9.4 TPM2_Shutdown: STATE saves PCRs 0-15, the update counter and platformAuth. */
    private void shutdown(int type) {
        TpmState st = core.st;
        st.orderlyState = type;
        if (type == TpmState.SU_STATE) {
            for (HashAlg bank : HashAlg.values()) {
                for (int pcr = 0; pcr < 16; pcr++) {
                    System.arraycopy(st.pcrs[bank.ordinal()][pcr], 0, st.savedPcrs[bank.ordinal()][pcr], 0,
                        bank.digestSize());
                }
            }
            st.savedPcrCounter = st.pcrCounter;
            st.savedPlatformAuth = st.platformAuth;
            st.savedLocality3 = st.startupLocality3;
        }
        st.nvClock = core.clockNow();
        core.dirtyPermanent = true;
    }
}
