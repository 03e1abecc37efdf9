package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;

import org.qemu.helpers.tpmstub.engine.Params.PcrSelection;

/** Part 3 chapter 18 (Attestation Commands): Certify, Quote. */
final class AttestationCommands implements ObjectHandleGroup {
    /** TPM_GENERATED_VALUE (Part 2 6.2) and TPM_ST_ATTEST_QUOTE (Part 2 6.9). */
    static final int GENERATED_VALUE = 0xff544347;
    static final int ST_ATTEST_QUOTE = 0x8018;
    static final int ST_ATTEST_CERTIFY = 0x8017;
    /** TPM2B_DATA holds at most a TPMT_HA. */
    static final int MAX_DATA = 2 + Params.MAX_DIGEST;

    private final EngineCore core;
    private final PcrCommands pcrs;

    AttestationCommands(EngineCore core, PcrCommands pcrs) {
        this.core = core;
        this.pcrs = pcrs;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.QUOTE, CommandCode.CERTIFY);
    }

    @Override
    public EngineCore core() {
        return core;
    }

    /** Certify's signHandle is TPMI_DH_OBJECT+: TPM_RH_NULL asks for an unsigned attestation. */
    @Override
    public long handle(CommandCode cc, int index, long h) throws TpmFormatException {
        return cc == CommandCode.CERTIFY && index == 1 && h == TpmEngine.RH_NULL ? h
                : ObjectHandleGroup.super.handle(cc, index, h);
    }

    @Override
    public void checkLoaded(CommandCode cc, int index, long h) throws TpmFormatException {
        if (h != TpmEngine.RH_NULL) {
            ObjectHandleGroup.super.checkLoaded(cc, index, h);
        }
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
        if (c.cc() == CommandCode.CERTIFY) {
            byte[] qualifyingData = param(r, 1, rd -> rd.tpm2b(MAX_DATA));
            Signatures.Scheme in = param(r, 2, Signatures::scheme);
            noMoreParams(r);
            TpmObject object = core.object(c.handle(0), 1);
            TpmObject key = c.handle(1) == TpmEngine.RH_NULL ? null : core.object(c.handle(1), 2);
            certify(object, key, qualifyingData, in, c.out());
            return;
        }
        byte[] qualifyingData = param(r, 1, rd -> rd.tpm2b(MAX_DATA));
        Signatures.Scheme in = param(r, 2, Signatures::scheme);
        List<PcrSelection> sel = param(r, 3, Params::pcrSelectionList);
        noMoreParams(r);
        TpmObject key = core.object(c.handle(0), 1);
        Signatures.Scheme scheme = Signatures.select(key, in);
        // Part 3 18.4: TPMS_ATTEST with TPMS_QUOTE_INFO, its pcrDigest made with the scheme's hash
        TpmWriter a = new TpmWriter(256);
        a.u32(GENERATED_VALUE & 0xFFFFFFFFL).u16(ST_ATTEST_QUOTE).tpm2b(key.name()).tpm2b(qualifyingData);
        writeClockAndFirmware(key.hierarchy, key.name(), a);
        PcrCommands.writeSelection(a, sel);
        a.tpm2b(pcrs.selectionDigest(scheme.hash(), sel));
        byte[] attest = a.toByteArray();
        c.out().tpm2b(attest);
        Signatures.write(key, scheme, Crypto.hash(scheme.hash(), attest), c.out());
    }

    /**
     * Part 3 18.2 TPM2_Certify: TPMS_ATTEST (TPM_ST_ATTEST_CERTIFY) naming the object, signed by the
     * key (a signing key: TPM_RC_KEY for handle 2; its scheme: TPM_RC_SCHEME for parameter 2), or not
     * signed for signHandle TPM_RH_NULL (the signer's Name is then the handle). Names stand in for
     * qualified names, as in Quote.
     */
    private void certify(TpmObject object, TpmObject key, byte[] qualifyingData, Signatures.Scheme in,
                         TpmWriter out) throws TpmFormatException {
        Signatures.Scheme scheme = null;
        if (key != null) {
            if (!key.pub.has(PublicArea.SIGN) || key.pub.type() == PublicArea.ALG_KEYEDHASH) {
                throw new TpmFormatException(TpmRc.withHandle(TpmRc.KEY, 2)); // HMAC keys do not sign here
            }
            try {
                scheme = Signatures.select(key, in);
            } catch (TpmFormatException e) {
                throw new TpmFormatException(TpmRc.withParameter(TpmRc.SCHEME, 2));
            }
        }
        byte[] signer = key == null ? Params.u32Bytes(TpmEngine.RH_NULL) : key.name();
        TpmWriter a = new TpmWriter(256);
        a.u32(GENERATED_VALUE & 0xFFFFFFFFL).u16(ST_ATTEST_CERTIFY).tpm2b(signer).tpm2b(qualifyingData);
        writeClockAndFirmware(key == null ? TpmEngine.RH_NULL : key.hierarchy, signer, a);
        a.tpm2b(object.name()).tpm2b(object.name());
        byte[] attest = a.toByteArray();
        out.tpm2b(attest);
        if (scheme == null) {
            out.u16(PublicArea.ALG_NULL); // TPMT_SIGNATURE of TPM_ALG_NULL
            return;
        }
        Signatures.write(key, scheme, Crypto.hash(scheme.hash(), attest), out);
    }

    /**
     * TPMS_CLOCK_INFO and firmwareVersion (Part 4 Attest_spt.c FillInAttestInfo): for a key outside
     * the endorsement and platform hierarchies, resetCount, restartCount and firmwareVersion are
     * offset by KDFa(SHA-512, shProof, "OBFUSCATE", Name, -, 128) so that they reveal nothing.
     */
    private void writeClockAndFirmware(long hierarchy, byte[] signerName, TpmWriter a) {
        long firmware = (0x20191023L << 32) | 0x163636L; // TPM_PT_FIRMWARE_VERSION_1/2, as GetCapability
        long resetCount = core.st.resetCount;
        long restartCount = core.st.restartCount;
        if (hierarchy != TpmEngine.RH_ENDORSEMENT && hierarchy != TpmEngine.RH_PLATFORM) {
            ByteBuffer o = ByteBuffer.wrap(Crypto.kdfa(HashAlg.SHA512, core.st.secrets.shProof(), "OBFUSCATE",
                    signerName, null, 128));
            firmware += o.getLong();
            long second = o.getLong();
            resetCount = (resetCount + (second >>> 32)) & 0xFFFFFFFFL;
            restartCount = (restartCount + second) & 0xFFFFFFFFL;
        }
        a.u64(core.clockNow()).u32(resetCount).u32(restartCount).u8(core.st.clockSafe ? 1 : 0).u64(firmware);
    }
}
