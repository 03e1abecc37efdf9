package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.security.MessageDigest;
import java.util.Set;

/** Part 3 chapter 20 (Signing and Signature Verification): Sign. */
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
        return Set.of(CommandCode.SIGN);
    }

    /** A TPMT_TK_HASHCHECK: tag, hierarchy, HMAC. */
    private record Ticket(int tag, long hierarchy, byte[] hmac) { }

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
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
}
