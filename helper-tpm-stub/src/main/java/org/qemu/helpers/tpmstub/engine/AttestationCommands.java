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

    /** A signing scheme (TPMT_SIG_SCHEME): RSASSA or ECDSA with a hash, or NULL. */
    record Scheme(int alg, HashAlg hash) { }

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
        byte[] qualifyingData = param(r, 1, rd -> rd.tpm2b(MAX_DATA));
        Scheme in = param(r, 2, AttestationCommands::sigScheme);
        List<PcrSelection> sel = param(r, 3, Params::pcrSelectionList);
        noMoreParams(r);
        TpmObject key = core.object(c.handle(0), 1);
        Scheme scheme = signingScheme(key, in);
        // Part 3 18.4: TPMS_ATTEST with TPMS_QUOTE_INFO, its pcrDigest made with the scheme's hash
        TpmWriter a = new TpmWriter(256);
        a.u32(GENERATED_VALUE & 0xFFFFFFFFL).u16(ST_ATTEST_QUOTE).tpm2b(key.name()).tpm2b(qualifyingData);
        writeClockAndFirmware(key, a);
        PcrCommands.writeSelection(a, sel);
        a.tpm2b(pcrs.selectionDigest(scheme.hash(), sel));
        byte[] attest = a.toByteArray();
        c.out().tpm2b(attest);
        writeSignature(key, scheme, attest, c.out());
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

    private static Scheme sigScheme(TpmReader r) throws TpmFormatException {
        int alg = r.u16();
        if (alg == PublicArea.ALG_NULL) {
            return new Scheme(alg, null);
        }
        if (alg != PublicArea.ALG_RSASSA && alg != PublicArea.ALG_ECDSA) {
            throw new TpmFormatException(TpmRc.SCHEME); // RSAPSS, ECDAA, ECSCHNORR, SM2, HMAC: not offered
        }
        return new Scheme(alg, Params.hashAlg(r));
    }

    /** Part 4 CryptUtil.c CryptSelectSignScheme: the key's own scheme, or the caller's for a NULL one. */
    private static Scheme signingScheme(TpmObject key, Scheme in) throws TpmFormatException {
        PublicArea p = key.pub;
        if (!p.has(PublicArea.SIGN) || p.type() == PublicArea.ALG_KEYEDHASH) {
            throw new TpmFormatException(TpmRc.withHandle(TpmRc.KEY, 1));
        }
        int fits = p.type() == PublicArea.ALG_RSA ? PublicArea.ALG_RSASSA : PublicArea.ALG_ECDSA;
        if (p.scheme() == PublicArea.ALG_NULL) {
            if (in.alg() != fits) {
                throw new TpmFormatException(TpmRc.withParameter(TpmRc.SCHEME, 2));
            }
            return in;
        }
        Scheme own = new Scheme(p.scheme(), HashAlg.byId(p.schemeHash()).orElseThrow());
        if (own.alg() != fits) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SCHEME, 2)); // RSAPSS keys: not offered
        }
        if (in.alg() != PublicArea.ALG_NULL && !in.equals(own)) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SCHEME, 2));
        }
        return own;
    }

    /** TPMT_SIGNATURE (Part 2 11.3.4) over {@code message}. */
    static void writeSignature(TpmObject key, Scheme scheme, byte[] message, TpmWriter out) {
        out.u16(scheme.alg()).u16(scheme.hash().algId());
        if (scheme.alg() == PublicArea.ALG_RSASSA) {
            out.tpm2b(Keys.signRsassa(key.privateKey(), scheme.hash(), message));
        } else {
            byte[][] rs = Keys.signEcdsa(key.privateKey(), scheme.hash(), message);
            out.tpm2b(rs[0]).tpm2b(rs[1]);
        }
    }
}
