package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.qemu.helpers.tpmstub.engine.Params.Digest;

/**
 * Part 3 15.4 (TPM2_Hash) and chapter 17 (Hash/HMAC/Event Sequences): HashSequenceStart,
 * SequenceUpdate, SequenceComplete, EventSequenceComplete; plus the platform's _TPM_Hash_Start/
 * Data/End indications (the Part 3 platform indications; swtpm CMD_HASH_START/DATA/END).
 */
final class HashCommands implements CommandGroup {
    /** MAX_DIGEST_BUFFER: the largest TPM2B_MAX_BUFFER (libtpms 1024). */
    static final int MAX_DIGEST_BUFFER = 1024;
    /** TPM_GENERATED_VALUE (Part 2 6.2): data starting with it never gets a ticket (Part 4 TicketIsSafe). */
    private static final byte[] TPM_GENERATED = {(byte) 0xFF, 0x54, 0x43, 0x47};
    static final int ST_HASHCHECK = 0x8024;
    static final int DRTM_PCR = 17;

    private final EngineCore core;
    private final PcrCommands pcrs;

    HashCommands(EngineCore core, PcrCommands pcrs) {
        this.core = core;
        this.pcrs = pcrs;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.HASH, CommandCode.HASH_SEQUENCE_START, CommandCode.SEQUENCE_UPDATE,
                CommandCode.SEQUENCE_COMPLETE, CommandCode.EVENT_SEQUENCE_COMPLETE);
    }

    @Override
    public long handle(CommandCode cc, int index, long h) throws TpmFormatException {
        if (cc == CommandCode.EVENT_SEQUENCE_COMPLETE && index == 0) {
            return pcrs.handle(cc, index, h); // TPMI_DH_PCR+
        }
        return EngineCore.objectHandle(h); // TPMI_DH_OBJECT: a sequence object, checked when used
    }

    @Override
    public void checkLoaded(CommandCode cc, int index, long h) throws TpmFormatException {
        if (cc == CommandCode.EVENT_SEQUENCE_COMPLETE && index == 0) {
            return;
        }
        core.checkObjectLoaded(h);
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
        switch (c.cc()) {
            case HASH -> {
                byte[] data = param(r, 1, rd -> rd.tpm2b(MAX_DIGEST_BUFFER));
                HashAlg alg = param(r, 2, Params::hashAlg);
                long hierarchy = param(r, 3, HashCommands::hierarchy);
                noMoreParams(r);
                byte[] digest = alg.digest().digest(data);
                c.out().tpm2b(digest);
                // Part 3 15.4: no ticket for data that could be TPM_GENERATED_VALUE
                ticket(hierarchy, data.length < 4 || isSafe(data), digest, c.out());
            }
            case HASH_SEQUENCE_START -> {
                byte[] auth = param(r, 1, rd -> rd.tpm2b(Params.MAX_DIGEST));
                int algId = param(r, 2, TpmReader::u16);
                HashAlg alg = null;
                if (algId != 0x0010) { // TPMI_ALG_HASH+: TPM_ALG_NULL starts an event sequence
                    alg = HashAlg.byId(algId).orElseThrow(
                            () -> new TpmFormatException(TpmRc.withParameter(TpmRc.HASH, 2)));
                }
                noMoreParams(r);
                auth = Authorisation.stripTrailingZeros(auth);
                core.responseHandle = core.objects.add(alg == null ? HashSequence.event(auth)
                        : HashSequence.hash(alg, auth));
            }
            case SEQUENCE_UPDATE -> {
                byte[] data = param(r, 1, rd -> rd.tpm2b(MAX_DIGEST_BUFFER));
                noMoreParams(r);
                HashSequence s = sequence(c.handle(0), 1);
                if (!s.isEvent() && !s.firstBlockSeen) {
                    s.firstBlockSeen = true;
                    s.ticketSafe = isSafe(data);
                }
                s.update(data);
            }
            case SEQUENCE_COMPLETE -> {
                byte[] data = param(r, 1, rd -> rd.tpm2b(MAX_DIGEST_BUFFER));
                long hierarchy = param(r, 2, HashCommands::hierarchy);
                noMoreParams(r);
                HashSequence s = sequence(c.handle(0), 1);
                if (s.isEvent()) {
                    throw new TpmFormatException(TpmRc.withHandle(TpmRc.MODE, 1));
                }
                if (!s.firstBlockSeen) {
                    s.ticketSafe = isSafe(data);
                }
                s.update(data);
                byte[] digest = s.digests[0].digest();
                c.out().tpm2b(digest);
                ticket(hierarchy, s.ticketSafe, digest, c.out());
                core.objects.remove(c.handle(0)); // TPMA_CC flushed
            }
            case EVENT_SEQUENCE_COMPLETE -> {
                byte[] data = param(r, 1, rd -> rd.tpm2b(MAX_DIGEST_BUFFER));
                noMoreParams(r);
                HashSequence s = sequence(c.handle(1), 2);
                if (!s.isEvent()) {
                    throw new TpmFormatException(TpmRc.withHandle(TpmRc.MODE, 2));
                }
                long pcr = c.handle(0);
                if (pcr != TpmEngine.RH_NULL && !PcrAttributes.extendAllowed((int) pcr, c.locality())) {
                    throw new TpmFormatException(TpmRc.LOCALITY);
                }
                s.update(data);
                List<Digest> digests = finish(s);
                pcrs.extendEvent(pcr, digests, c.locality());
                PcrCommands.writeDigestValues(digests, c.out());
                core.objects.remove(c.handle(1));
            }
            default -> throw new IllegalStateException("unhandled " + c.cc());
        }
    }

    private HashSequence sequence(long handle, int handleNumber) throws TpmFormatException {
        if (core.objects.get(handle) instanceof HashSequence s) {
            return s;
        }
        throw new TpmFormatException(TpmRc.withHandle(TpmRc.MODE, handleNumber)); // not a sequence object
    }

    private static List<Digest> finish(HashSequence s) {
        List<Digest> out = new ArrayList<>(s.digests.length);
        HashAlg[] all = HashAlg.values();
        for (int i = 0; i < all.length; i++) {
            out.add(new Digest(all[i], s.digests[i].digest()));
        }
        return out;
    }

    /** TPMI_RH_HIERARCHY+ (Part 2 9.12): owner, platform, endorsement or TPM_RH_NULL. */
    private static long hierarchy(TpmReader r) throws TpmFormatException {
        long h = r.u32();
        if (h != TpmEngine.RH_OWNER && h != TpmEngine.RH_PLATFORM && h != TpmEngine.RH_ENDORSEMENT
                && h != TpmEngine.RH_NULL) {
            throw new TpmFormatException(TpmRc.VALUE);
        }
        return h;
    }

    /** Part 4 Ticket.c TicketIsSafe: at least 4 bytes, not starting with TPM_GENERATED_VALUE. */
    private static boolean isSafe(byte[] data) {
        if (data.length < TPM_GENERATED.length) {
            return false;
        }
        for (int i = 0; i < TPM_GENERATED.length; i++) {
            if (data[i] != TPM_GENERATED[i]) {
                return true;
            }
        }
        return false;
    }

    /**
     * TPMT_TK_HASHCHECK (Part 2 10.7.5): HMAC(proof, TPM_ST_HASHCHECK || digest) with the context
     * integrity hash (SHA-512, as libtpms), or the NULL ticket for TPM_RH_NULL and unsafe data.
     */
    private void ticket(long hierarchy, boolean safe, byte[] digest, TpmWriter out) {
        byte[] proof = core.proof(hierarchy);
        if (proof == null || !safe) {
            out.u16(ST_HASHCHECK).u32(TpmEngine.RH_NULL).u16(0);
            return;
        }
        out.u16(ST_HASHCHECK).u32(hierarchy).tpm2b(ticketHmac(proof, digest));
    }

    /** The HMAC of a TPMT_TK_HASHCHECK for {@code digest} under a hierarchy's proof. */
    static byte[] ticketHmac(byte[] proof, byte[] digest) {
        byte[] tag = {(byte) (ST_HASHCHECK >>> 8), (byte) ST_HASHCHECK};
        return Crypto.hmac(HashAlg.SHA512, proof, tag, digest);
    }

    // ------------------------------------------------------------------ _TPM_Hash_Start/Data/End

    /** _TPM_Hash_Start: a new DRTM event sequence; if no slot is free, the lowest is flushed. */
    void hashStart() {
        if (core.drtmHandle >= 0) {
            core.objects.remove(core.drtmHandle);
            core.drtmHandle = -1;
        }
        if (core.objects.size() == ObjectSlots.MAX_LOADED_OBJECTS) {
            core.objects.remove(core.objects.handles().iterator().next());
        }
        try {
            core.drtmHandle = core.objects.add(HashSequence.event(new byte[0]));
        } catch (TpmFormatException e) {
            throw new IllegalStateException("a slot was just freed", e);
        }
        core.st.tpmEstablished = true; // libtpms TPM2_IO_Hash_Start sets TPM_ACCESS.tpmEstablishment
        core.dirtyPermanent = true;
    }

    /** _TPM_Hash_Data; false if no sequence was started (ignored, as libtpms). */
    boolean hashData(byte[] data, int off, int len) {
        if (!(core.objects.get(core.drtmHandle) instanceof HashSequence s)) {
            return false;
        }
        for (java.security.MessageDigest d : s.digests) {
            d.update(data, off, len);
        }
        return true;
    }

    /**
     * _TPM_Hash_End (Part 4 PCR.c PcrDrtm): after Startup, the DRTM PCRs 17-22 are
     * reset and PCR 17 becomes extend(0, digest) with restartCount incremented; before Startup
     * (H-CRTM) PCR 0 becomes extend(0...04, digest) and keeps that value through Startup.
     */
    boolean hashEnd() {
        if (!(core.objects.get(core.drtmHandle) instanceof HashSequence s)) {
            return false;
        }
        TpmState st = core.st;
        int pcr;
        if (st.started) {
            for (int p = 0; p < PcrAttributes.COUNT; p++) {
                if ((PcrAttributes.resetMask(p) & 0x10) != 0) { // PCRResetDynamics: resettable at locality 4
                    for (HashAlg bank : st.allocated) {
                        java.util.Arrays.fill(st.pcrs[bank.ordinal()][p], (byte) 0);
                    }
                }
            }
            pcr = DRTM_PCR;
            st.restartCount = (st.restartCount + 1) & 0xFFFFFFFFL;
            core.dirtyPermanent = true;
        } else {
            pcr = PcrAttributes.HCRTM_PCR;
            core.drtmPreStartup = true;
        }
        List<Digest> digests = finish(s);
        for (Digest d : digests) {
            if (!st.allocated.contains(d.alg())) {
                continue;
            }
            byte[] v = st.pcrs[d.alg().ordinal()][pcr];
            java.util.Arrays.fill(v, (byte) 0);
            if (!st.started) {
                v[v.length - 1] = 4;
            }
            pcrs.extendOne(pcr, d.alg(), d.digest());
        }
        core.objects.remove(core.drtmHandle);
        core.drtmHandle = -1;
        core.dirtyVolatile = true;
        return true;
    }
}
