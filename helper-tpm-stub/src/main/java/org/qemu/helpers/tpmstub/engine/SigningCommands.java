package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.security.MessageDigest;
import java.util.Set;

/** Part 3 chapter 20 (Signing and Signature Verification): VerifySignature, Sign. */
final class SigningCommands implements ObjectHandleGroup {
    private final EngineCore core;

    SigningCommands(EngineCore core) {
        this.core = core;
    }

    @Override
    public EngineCore core() {
        return core;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.SIGN, CommandCode.VERIFY_SIGNATURE);
    }

    /** A TPMT_TK_HASHCHECK: tag, hierarchy, HMAC. */
    private record Ticket(int tag, long hierarchy, byte[] hmac) { }

    /** TPM_ST_VERIFIED (Part 2 6.9): the tag of VerifySignature's ticket. */
    static final int ST_VERIFIED = 0x8022;

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
        if (c.cc() == CommandCode.VERIFY_SIGNATURE) {
            byte[] digest = param(r, 1, rd -> rd.tpm2b(Params.MAX_DIGEST));
            SignatureVerification.Sig sig = param(r, 2, SignatureVerification::read);
            noMoreParams(r);
            verifySignature(core.object(c.handle(0), 1), digest, sig, c.out());
            return;
        }
        byte[] digest = param(r, 1, rd -> rd.tpm2b(Params.MAX_DIGEST));
        Signatures.Scheme in = param(r, 2, Signatures::scheme);
        Ticket ticket = param(r, 3, rd -> new Ticket(rd.u16(), rd.u32(), rd.tpm2b(Params.MAX_DIGEST)));
        noMoreParams(r);
        TpmObject key = core.object(c.handle(0), 1);
        Signatures.Scheme scheme = Signatures.select(key, in);
        // Part 3 20.3 TPM2_Sign: the digest has the scheme's size; a restricted key signs only what
        // the TPM hashed itself (a valid hash check ticket), never something that could be TPM_GENERATED
        if (digest.length != scheme.hash().digestSize()) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SIZE, 1));
        }
        if (ticket.tag() != HashCommands.ST_HASHCHECK) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.TAG, 3));
        }
        if (key.pub.has(PublicArea.RESTRICTED)) {
            byte[] proof = core.proof(ticket.hierarchy());
            if (proof == null || !MessageDigest.isEqual(ticket.hmac(), HashCommands.ticketHmac(proof, digest))) {
                throw new TpmFormatException(TpmRc.withParameter(TpmRc.TICKET, 3));
            }
        }
        Signatures.write(key, scheme, digest, c.out());
    }

    /**
     * Part 3 20.1 TPM2_VerifySignature: a signing key (TPM_RC_ATTRIBUTES for handle 1) verifies the
     * signature (TPM_RC_SCHEME or TPM_RC_SIGNATURE for parameter 2); the TPMT_TK_VERIFIED is
     * HMAC-SHA-512(proof, TPM_ST_VERIFIED || digest || keyName) (Part 4 Ticket.c TicketComputeVerified),
     * the NULL ticket for a key of the NULL hierarchy.
     */
    private void verifySignature(TpmObject key, byte[] digest, SignatureVerification.Sig sig, TpmWriter out)
            throws TpmFormatException {
        if (!key.pub.has(PublicArea.SIGN)) {
            throw new TpmFormatException(TpmRc.withHandle(TpmRc.ATTRIBUTES, 1));
        }
        try {
            SignatureVerification.verify(key, digest, sig);
        } catch (TpmFormatException e) {
            throw new TpmFormatException(TpmRc.withParameter(e.rc(), 2));
        }
        byte[] proof = core.proof(key.hierarchy);
        if (proof == null) {
            out.u16(ST_VERIFIED).u32(TpmEngine.RH_NULL).u16(0);
            return;
        }
        byte[] tag = {(byte) (ST_VERIFIED >>> 8), (byte) ST_VERIFIED};
        out.u16(ST_VERIFIED).u32(key.hierarchy).tpm2b(Crypto.hmac(HashAlg.SHA512, proof, tag, digest, key.name()));
    }
}
