package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.security.MessageDigest;
import java.util.List;
import java.util.Set;

import org.qemu.helpers.tpmstub.engine.Params.PcrSelection;

/**
 * Part 3 chapter 23 (Enhanced Authorization): PolicySecret, PolicyOR, PolicyPCR, PolicyAuthValue,
 * PolicyPassword, PolicyCommandCode, PolicyGetDigest, and PolicyRestart (Part 3 11.2, kept here
 * with the commands whose state it resets), on policy and trial sessions. Each assertion
 * extends the session's policyDigest as its Part 3 section says; a policy session also records
 * what must still hold when it authorises (Authorisation.checkPolicy).
 */
final class PolicyCommands implements CommandGroup {
    /** TPM_ST_AUTH_SECRET (Part 2 6.9), the tag of PolicySecret's ticket. */
    static final int ST_AUTH_SECRET = 0x8023;

    private final EngineCore core;
    private final PcrCommands pcrs;

    PolicyCommands(EngineCore core, PcrCommands pcrs) {
        this.core = core;
        this.pcrs = pcrs;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.POLICY_PCR, CommandCode.POLICY_AUTH_VALUE, CommandCode.POLICY_PASSWORD,
                CommandCode.POLICY_COMMAND_CODE, CommandCode.POLICY_RESTART, CommandCode.POLICY_GET_DIGEST,
                CommandCode.POLICY_SECRET, CommandCode.POLICY_OR);
    }

    /** The handle of the policy session: the second one of PolicySecret, else the only one. */
    private static int sessionIndex(CommandCode cc) {
        return cc == CommandCode.POLICY_SECRET ? 1 : 0;
    }

    @Override
    public long handle(CommandCode cc, int index, long h) throws TpmFormatException {
        if (index != sessionIndex(cc)) {
            return EngineCore.entityHandle(h); // PolicySecret's authHandle: TPMI_DH_ENTITY
        }
        if (!Authorisation.isPolicySessionHandle(h)) {
            throw new TpmFormatException(TpmRc.VALUE); // TPMI_SH_POLICY
        }
        return h;
    }

    @Override
    public void checkLoaded(CommandCode cc, int index, long h) throws TpmFormatException {
        if (index != sessionIndex(cc)) {
            core.checkEntityLoaded(h);
            return;
        }
        Authorisation.AuthSession s = core.sessions.get(h);
        if (s == null || s.saved()) {
            throw new TpmFormatException(TpmRc.REFERENCE_H0);
        }
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
        Authorisation.AuthSession s = core.sessions.get(c.handle(sessionIndex(c.cc())));
        switch (c.cc()) {
            case POLICY_SECRET -> {
                byte[] nonceTpm = param(r, 1, rd -> rd.tpm2b(Params.MAX_DIGEST));
                byte[] cpHashA = param(r, 2, rd -> rd.tpm2b(Params.MAX_DIGEST));
                byte[] policyRef = param(r, 3, rd -> rd.tpm2b(Params.MAX_DIGEST));
                int expiration = param(r, 4, TpmReader::s32);
                noMoreParams(r);
                policySecret(s, core.name(c.handle(0)), nonceTpm, cpHashA, policyRef, expiration, c.out());
            }
            case POLICY_OR -> {
                List<byte[]> hashes = param(r, 1, PolicyCommands::digestList);
                noMoreParams(r);
                policyOr(s, hashes);
            }
            case POLICY_PCR -> {
                byte[] pcrDigest = param(r, 1, rd -> rd.tpm2b(Params.MAX_DIGEST));
                List<PcrSelection> sel = param(r, 2, Params::pcrSelectionList);
                noMoreParams(r);
                policyPcr(s, pcrDigest, sel);
            }
            case POLICY_AUTH_VALUE, POLICY_PASSWORD -> {
                noMoreParams(r);
                // Part 3 23.17 and 23.18: both extend with TPM_CC_PolicyAuthValue; they differ in how the
                // authValue is then presented (an HMAC key, or in the clear)
                s.extend(Params.u32Bytes(CommandCode.POLICY_AUTH_VALUE.code()));
                s.authValueNeeded = c.cc() == CommandCode.POLICY_AUTH_VALUE;
                s.passwordNeeded = c.cc() == CommandCode.POLICY_PASSWORD;
            }
            case POLICY_COMMAND_CODE -> {
                long code = param(r, 1, TpmReader::u32);
                noMoreParams(r);
                // Part 3 23.11, in libtpms's order: another command code already asserted is TPM_RC_VALUE,
                // an unimplemented one TPM_RC_POLICY_CC
                if (s.commandCode != 0 && s.commandCode != code) {
                    throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 1));
                }
                if (CommandCode.byCode(code) == null) {
                    throw new TpmFormatException(TpmRc.withParameter(TpmRc.POLICY_CC, 1));
                }
                s.extend(Params.u32Bytes(CommandCode.POLICY_COMMAND_CODE.code()), Params.u32Bytes(code));
                s.commandCode = code;
            }
            case POLICY_RESTART -> {
                noMoreParams(r);
                s.resetPolicy();
            }
            case POLICY_GET_DIGEST -> {
                noMoreParams(r);
                c.out().tpm2b(s.policyDigest);
            }
            default -> throw new IllegalStateException("unhandled " + c.cc());
        }
    }

    /**
     * Part 3 23.4 TPM2_PolicySecret, its authorisation of authHandle already checked:
     * policyDigest_new = H(H(policyDigest_old || TPM_CC_PolicySecret || authName) || policyRef)
     * (Part 3 23.2.3 PolicyUpdate). Only expiration 0 and an empty cpHashA are offered, so the answer
     * is an empty timeout and the NULL ticket.
     */
    private void policySecret(Authorisation.AuthSession s, byte[] authName, byte[] nonceTpm, byte[] cpHashA,
                              byte[] policyRef, int expiration, TpmWriter out) throws TpmFormatException {
        if (nonceTpm.length != 0 && !MessageDigest.isEqual(nonceTpm, s.nonceTpm)) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.NONCE, 1));
        }
        if (cpHashA.length != 0) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SIZE, 2));
        }
        if (expiration != 0) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 4));
        }
        s.extend(Params.u32Bytes(CommandCode.POLICY_SECRET.code()), authName);
        s.extend(policyRef);
        out.u16(0); // timeout
        out.u16(ST_AUTH_SECRET).u32(TpmEngine.RH_NULL).u16(0);
    }

    /** TPML_DIGEST of PolicyOR: 2 to 8 digests (libtpms: a count outside that is TPM_RC_SIZE). */
    private static List<byte[]> digestList(TpmReader r) throws TpmFormatException {
        long count = r.u32();
        if (count < 2 || count > 8) {
            throw new TpmFormatException(TpmRc.SIZE);
        }
        List<byte[]> out = new java.util.ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            out.add(r.tpm2b(Params.MAX_DIGEST));
        }
        return out;
    }

    /**
     * Part 3 23.6 TPM2_PolicyOR: a policy session's policyDigest must be one of pHashList
     * (TPM_RC_VALUE, parameter 1; a trial session takes any), then policyDigest_new =
     * H(0...0 || TPM_CC_PolicyOR || digest_1 || ... || digest_n).
     */
    private static void policyOr(Authorisation.AuthSession s, List<byte[]> hashes) throws TpmFormatException {
        if (s.type != Authorisation.AuthSession.TRIAL
                && hashes.stream().noneMatch(d -> MessageDigest.isEqual(d, s.policyDigest))) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 1));
        }
        byte[][] parts = new byte[hashes.size() + 1][];
        parts[0] = Params.u32Bytes(CommandCode.POLICY_OR.code());
        for (int i = 0; i < hashes.size(); i++) {
            parts[i + 1] = hashes.get(i);
        }
        s.policyDigest = new byte[s.alg.digestSize()];
        s.extend(parts);
    }

    /**
     * Part 3 23.7 TPM2_PolicyPCR: policyDigest_new = H(policyDigest_old || TPM_CC_PolicyPCR || pcrs ||
     * digestTPM), digestTPM the session-hash digest of the selected PCRs now; a caller's non-empty
     * pcrDigest must equal it in a policy session (TPM_RC_VALUE), and stands for it in a trial session.
     */
    private void policyPcr(Authorisation.AuthSession s, byte[] pcrDigest, List<PcrSelection> sel)
            throws TpmFormatException {
        byte[] digest;
        if (s.type == Authorisation.AuthSession.TRIAL && pcrDigest.length != 0) {
            digest = pcrDigest;
        } else {
            digest = pcrs.selectionDigest(s.alg, sel);
            if (pcrDigest.length != 0 && !MessageDigest.isEqual(pcrDigest, digest)) {
                throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 1));
            }
        }
        TpmWriter w = new TpmWriter(64);
        PcrCommands.writeSelection(w, sel);
        s.extend(Params.u32Bytes(CommandCode.POLICY_PCR.code()), w.toByteArray(), digest);
        if (s.type != Authorisation.AuthSession.TRIAL) {
            s.pcrCounter = core.st.pcrCounter;
        }
    }
}
