package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;

import org.qemu.helpers.tpmstub.engine.Params.PcrSelection;

/** Part 3 chapter 18 (Attestation Commands): Quote. */
final class AttestationCommands implements ObjectHandleGroup {
    /** TPM_GENERATED_VALUE (Part 2 6.2) and TPM_ST_ATTEST_QUOTE (Part 2 6.9). */
    static final int GENERATED_VALUE = 0xff544347;
    static final int ST_ATTEST_QUOTE = 0x8018;
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
        return Set.of(CommandCode.QUOTE);
    }

    @Override
    public EngineCore core() {
        return core;
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
        byte[] qualifyingData = param(r, 1, rd -> rd.tpm2b(MAX_DATA));
        Signatures.Scheme in = param(r, 2, Signatures::scheme);
        List<PcrSelection> sel = param(r, 3, Params::pcrSelectionList);
        noMoreParams(r);
        TpmObject key = core.object(c.handle(0), 1);
        Signatures.Scheme scheme = Signatures.select(key, in);
        // Part 3 18.4: TPMS_ATTEST with TPMS_QUOTE_INFO, its pcrDigest made with the scheme's hash
        TpmWriter a = new TpmWriter(256);
        a.u32(GENERATED_VALUE & 0xFFFFFFFFL).u16(ST_ATTEST_QUOTE).tpm2b(key.name()).tpm2b(qualifyingData);
        writeClockAndFirmware(key, a);
        PcrCommands.writeSelection(a, sel);
        a.tpm2b(pcrs.selectionDigest(scheme.hash(), sel));
        byte[] attest = a.toByteArray();
        c.out().tpm2b(attest);
        Signatures.write(key, scheme, Crypto.hash(scheme.hash(), attest), c.out());
    }

    /**
     * TPMS_CLOCK_INFO and firmwareVersion (Part 4 Attest_spt.c FillInAttestInfo): for a key outside
     * the endorsement and platform hierarchies, resetCount, restartCount and firmwareVersion are
     * offset by KDFa(SHA-512, shProof, "OBFUSCATE", Name, -, 128) so that they reveal nothing.
     */
    private void writeClockAndFirmware(TpmObject key, TpmWriter a) {
        long firmware = (0x20191023L << 32) | 0x163636L; // TPM_PT_FIRMWARE_VERSION_1/2, as GetCapability
        long resetCount = core.st.resetCount;
        long restartCount = core.st.restartCount;
        if (key.hierarchy != TpmEngine.RH_ENDORSEMENT && key.hierarchy != TpmEngine.RH_PLATFORM) {
            ByteBuffer o = ByteBuffer.wrap(Crypto.kdfa(HashAlg.SHA512, core.st.secrets.shProof(), "OBFUSCATE",
                    key.name(), null, 128));
            firmware += o.getLong();
            long second = o.getLong();
            resetCount = (resetCount + (second >>> 32)) & 0xFFFFFFFFL;
            restartCount = (restartCount + second) & 0xFFFFFFFFL;
        }
        a.u64(core.clockNow()).u32(resetCount).u32(restartCount).u8(core.st.clockSafe ? 1 : 0).u64(firmware);
    }
}
