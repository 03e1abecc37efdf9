package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.qemu.helpers.tpmstub.engine.Params.Digest;
import org.qemu.helpers.tpmstub.engine.Params.PcrSelection;

/** Part 3 chapter 22 (Integrity Collection): PCR_Extend, PCR_Event, PCR_Read, PCR_Reset. */
final class PcrCommands implements CommandGroup {
    static final int MAX_EVENT_DATA = 1024;

    private final EngineCore core;

    PcrCommands(EngineCore core) {
        this.core = core;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.PCR_EXTEND, CommandCode.PCR_EVENT, CommandCode.PCR_READ, CommandCode.PCR_RESET);
    }

    @Override
    public long handle(CommandCode cc, int index, long h) throws TpmFormatException {
        // TPMI_DH_PCR: PCR_Extend and PCR_Event take +TPM_RH_NULL, PCR_Reset does not
        if (h >= PcrAttributes.COUNT && (cc == CommandCode.PCR_RESET || h != TpmEngine.RH_NULL)) {
            throw new TpmFormatException(TpmRc.VALUE);
        }
        return h;
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
        switch (c.cc()) {
            case PCR_READ -> {
                List<PcrSelection> sel = param(r, 1, Params::pcrSelectionList);
                noMoreParams(r);
                pcrRead(sel, c.out());
            }
            case PCR_EXTEND -> {
                List<Digest> digests = param(r, 1, Params::digestValues);
                noMoreParams(r);
                pcrExtend(c.handle(0), digests, c.locality());
            }
            case PCR_EVENT -> {
                byte[] data = param(r, 1, rd -> rd.tpm2b(MAX_EVENT_DATA));
                noMoreParams(r);
                pcrEvent(c.handle(0), data, c.locality(), c.out());
            }
            case PCR_RESET -> {
                noMoreParams(r);
                pcrReset((int) c.handle(0), c.locality());
            }
            default -> throw new IllegalStateException("unhandled " + c.cc());
        }
    }

    /** Part 4 PCR.c PCRChanged: every change outside the no-increment group bumps the counter. */
    static void pcrChanged(TpmState st, int pcr) {
        if (!PcrAttributes.noIncrement(pcr)) {
            st.pcrCounter = (st.pcrCounter + 1) & 0xFFFFFFFFL;
        }
    }

    void extendOne(int pcr, HashAlg alg, byte[] digest) {
        if (!core.st.allocated.contains(alg)) {
            return;
        }
        byte[] v = core.st.pcrs[alg.ordinal()][pcr];
        MessageDigest md = alg.digest();
        md.update(v);
        md.update(digest);
        System.arraycopy(md.digest(), 0, v, 0, v.length);
        pcrChanged(core.st, pcr);
    }

    private void checkOrderlyFor(int pcr) {
        if (PcrAttributes.stateSaved(pcr)) {
            core.clearOrderly = true;
        }
    }

    /** Part 3 22.2 TPM2_PCR_Extend. */
    private void pcrExtend(long handle, List<Digest> digests, int locality) throws TpmFormatException {
        if (handle == TpmEngine.RH_NULL) {
            return;
        }
        int pcr = (int) handle;
        if (!PcrAttributes.extendAllowed(pcr, locality)) {
            throw new TpmFormatException(TpmRc.LOCALITY);
        }
        checkOrderlyFor(pcr);
        for (Digest d : digests) {
            extendOne(pcr, d.alg(), d.digest());
        }
        core.dirtyVolatile = true;
    }

    /**
     * Extends one digest per implemented bank into {@code handle} (unless TPM_RH_NULL), for
     * PCR_Event and EventSequenceComplete; checks the locality first.
     */
    void extendEvent(long handle, List<Digest> digests, int locality) throws TpmFormatException {
        if (handle == TpmEngine.RH_NULL) {
            return;
        }
        if (!PcrAttributes.extendAllowed((int) handle, locality)) {
            throw new TpmFormatException(TpmRc.LOCALITY);
        }
        checkOrderlyFor((int) handle);
        for (Digest d : digests) {
            extendOne((int) handle, d.alg(), d.digest());
        }
        core.dirtyVolatile = true;
    }

    /** Part 3 22.3 TPM2_PCR_Event: hash the event with every implemented hash and extend. */
    private void pcrEvent(long handle, byte[] data, int locality, TpmWriter out) throws TpmFormatException {
        if (handle != TpmEngine.RH_NULL && !PcrAttributes.extendAllowed((int) handle, locality)) {
            throw new TpmFormatException(TpmRc.LOCALITY);
        }
        List<Digest> digests = new ArrayList<>(HashAlg.values().length);
        for (HashAlg alg : HashAlg.values()) {
            digests.add(new Digest(alg, alg.digest().digest(data)));
        }
        extendEvent(handle, digests, locality);
        writeDigestValues(digests, out);
    }

    /** TPML_DIGEST_VALUES. */
    static void writeDigestValues(List<Digest> digests, TpmWriter out) {
        out.u32(digests.size());
        for (Digest d : digests) {
            out.u16(d.alg().algId()).bytes(d.digest());
        }
    }

    /** Part 3 22.8 TPM2_PCR_Reset: only the resettable PCRs, at a permitted locality. */
    private void pcrReset(int pcr, int locality) throws TpmFormatException {
        if (!PcrAttributes.resetAllowed(pcr, locality)) {
            throw new TpmFormatException(TpmRc.LOCALITY);
        }
        checkOrderlyFor(pcr);
        for (HashAlg alg : core.st.allocated) {
            Arrays.fill(core.st.pcrs[alg.ordinal()][pcr], (byte) 0);
        }
        pcrChanged(core.st, pcr);
        core.dirtyVolatile = true;
    }

    /** Part 3 22.4 TPM2_PCR_Read; Part 4 PCR.c PCRRead: at most 8 digests, the rest deselected. */
    private void pcrRead(List<PcrSelection> sel, TpmWriter out) {
        List<byte[]> digests = new ArrayList<>(8);
        boolean full = false;
        for (PcrSelection s : sel) {
            byte[] b = s.select();
            if (!core.st.allocated.contains(s.alg())) {
                Arrays.fill(b, (byte) 0);
            }
            for (int pcr = 0; pcr < PcrAttributes.COUNT; pcr++) {
                if ((b[pcr / 8] & (1 << (pcr % 8))) == 0) {
                    continue;
                }
                if (full || digests.size() == 8) {
                    full = true;
                    b[pcr / 8] &= (byte) ~(1 << (pcr % 8));
                    continue;
                }
                digests.add(core.st.pcrs[s.alg().ordinal()][pcr]);
            }
        }
        out.u32(core.st.pcrCounter);
        out.u32(sel.size());
        for (PcrSelection s : sel) {
            out.u16(s.algId()).u8(3).bytes(s.select());
        }
        out.u32(digests.size());
        for (byte[] d : digests) {
            out.tpm2b(d);
        }
    }

    /**
     * Part 4 PCR.c PCRComputeCurrentDigest: H_alg of the selected PCR values, bank by bank in the
     * list's order and in ascending PCR order within a bank (unallocated banks contribute nothing).
     */
    byte[] selectionDigest(HashAlg alg, List<PcrSelection> sel) {
        MessageDigest md = alg.digest();
        for (PcrSelection s : sel) {
            if (!core.st.allocated.contains(s.alg())) {
                continue;
            }
            for (int pcr = 0; pcr < PcrAttributes.COUNT; pcr++) {
                if ((s.select()[pcr / 8] & (1 << (pcr % 8))) != 0) {
                    md.update(core.st.pcrs[s.alg().ordinal()][pcr]);
                }
            }
        }
        return md.digest();
    }

    /** TPML_PCR_SELECTION as read by {@link Params#pcrSelectionList}. */
    static void writeSelection(TpmWriter w, List<PcrSelection> sel) {
        w.u32(sel.size());
        for (PcrSelection s : sel) {
            w.u16(s.algId()).u8(3).bytes(s.select());
        }
    }

    /** True if no PCR is selected. */
    static boolean noneSelected(List<PcrSelection> sel) {
        for (PcrSelection s : sel) {
            for (byte b : s.select()) {
                if (b != 0) {
                    return false;
                }
            }
        }
        return true;
    }
}
