package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.util.Set;

/**
 * Part 3 chapter 11 (Session Commands): StartAuthSession for HMAC, policy and trial sessions,
 * salted (tpmKey, Part 1 19.6.14 and 24) and bound (bind, Part 1 19.6.13), with AES-CFB or XOR
 * parameter encryption.
 */
final class SessionCommands implements CommandGroup {
    private final EngineCore core;
    private final Authorisation auth;

    SessionCommands(EngineCore core, Authorisation auth) {
        this.core = core;
        this.auth = auth;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.START_AUTH_SESSION);
    }

    /** tpmKey: TPMI_DH_OBJECT+ (an object or TPM_RH_NULL); bind: TPMI_DH_ENTITY+. */
    @Override
    public long handle(CommandCode cc, int index, long h) throws TpmFormatException {
        if (h == TpmEngine.RH_NULL) {
            return h;
        }
        return index == 0 ? EngineCore.objectHandle(h) : EngineCore.entityHandle(h);
    }

    @Override
    public void checkLoaded(CommandCode cc, int index, long h) throws TpmFormatException {
        if (h != TpmEngine.RH_NULL) {
            core.checkEntityLoaded(h);
        }
    }

    /** TPMT_SYM_DEF (Part 2 11.1.6): algorithm, key bits (a hash for XOR), mode (none for XOR). */
    private record SymDef(int alg, int keyBits, int mode) { }

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
        byte[] nonceCaller = param(r, 1, rd -> rd.tpm2b(Params.MAX_DIGEST));
        byte[] salt = param(r, 2, rd -> rd.tpm2b(ObjectCommands.MAX_ENCRYPTED_SECRET));
        int type = param(r, 3, rd -> {
            int t = rd.u8();
            if (t != 0x00 && t != 0x01 && t != 0x03) {
                throw new TpmFormatException(TpmRc.VALUE);
            }
            return t;
        });
        SymDef sym = param(r, 4, SessionCommands::symDef);
        HashAlg alg = param(r, 5, Params::hashAlg);
        noMoreParams(r);
        startAuthSession(c.handle(0), c.handle(1), nonceCaller, salt, type, sym, alg, c.out());
    }

    /** TPMT_SYM_DEF for sessions: TPM_ALG_NULL, TPM_ALG_XOR with a hash, AES-128/192/256 with a mode. */
    private static SymDef symDef(TpmReader r) throws TpmFormatException {
        int alg = r.u16();
        if (alg == PublicArea.ALG_NULL) {
            return new SymDef(alg, 0, PublicArea.ALG_NULL);
        }
        if (alg == ParameterEncryption.ALG_XOR) {
            return new SymDef(alg, Params.hashAlg(r).algId(), PublicArea.ALG_NULL);
        }
        if (alg != PublicArea.ALG_AES) {
            throw new TpmFormatException(TpmRc.SYMMETRIC);
        }
        int bits = r.u16();
        if (bits != 128 && bits != 192 && bits != 256) {
            throw new TpmFormatException(TpmRc.KEY_SIZE);
        }
        int mode = r.u16();
        if (mode < 0x0040 || mode > 0x0044) { // TPMI_ALG_SYM_MODE: CTR, OFB, CBC, CFB, ECB
            throw new TpmFormatException(TpmRc.MODE);
        }
        return new SymDef(alg, bits, mode);
    }

    /**
     * Part 3 11.1 TPM2_StartAuthSession (checks in libtpms's order): the salt is recovered with
     * tpmKey (label "SECRET"), and a salted or bound session gets sessionKey =
     * KDFa(authHash, bind.authValue || salt, "ATH", nonceTPM, nonceCaller, digest bits) (Part 1
     * 19.6.8). An HMAC session remembers its bind entity (Name and authValue).
     */
    private void startAuthSession(long tpmKey, long bind, byte[] nonceCaller, byte[] encryptedSalt, int type,
                                  SymDef sym, HashAlg alg, TpmWriter out) throws TpmFormatException {
        if (nonceCaller.length < 16 || nonceCaller.length > alg.digestSize()) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SIZE, 1));
        }
        byte[] salt = new byte[0];
        if (tpmKey != TpmEngine.RH_NULL) {
            if (!(core.loaded(tpmKey) instanceof TpmObject key)
                    || (key.pub.type() != PublicArea.ALG_RSA && key.pub.type() != PublicArea.ALG_ECC)) {
                throw new TpmFormatException(TpmRc.withHandle(TpmRc.KEY, 1));
            }
            if (encryptedSalt.length == 0) {
                throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 2));
            }
            if (key.publicOnly()) {
                throw new TpmFormatException(TpmRc.withHandle(TpmRc.HANDLE, 1));
            }
            if (!key.pub.has(PublicArea.DECRYPT)) {
                throw new TpmFormatException(TpmRc.withHandle(TpmRc.ATTRIBUTES, 1));
            }
            try {
                salt = SecretSharing.recover(key, "SECRET", encryptedSalt);
            } catch (TpmFormatException e) {
                throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 2));
            }
        } else if (encryptedSalt.length != 0) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 2));
        }
        if (bind != TpmEngine.RH_NULL && core.loaded(bind) instanceof TpmObject b && b.publicOnly()) {
            throw new TpmFormatException(TpmRc.withHandle(TpmRc.HANDLE, 2));
        }
        if (sym.alg() == PublicArea.ALG_AES && sym.mode() != PublicArea.ALG_CFB) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.MODE, 4));
        }
        if (core.loadedSessions() >= Authorisation.MAX_LOADED_SESSIONS) {
            throw new TpmFormatException(TpmRc.SESSION_MEMORY);
        }
        if (core.sessions.size() >= Authorisation.MAX_ACTIVE_SESSIONS) {
            throw new TpmFormatException(TpmRc.SESSION_HANDLES);
        }
        // HMAC (0x02) and policy (0x03) sessions share one index space, as libtpms's context array
        int index = 0;
        while (core.sessions.containsKey(Authorisation.HMAC_SESSION_FIRST + index)
                || core.sessions.containsKey(Authorisation.POLICY_SESSION_FIRST + index)) {
            index++;
        }
        long handle = (type == Authorisation.AuthSession.HMAC ? Authorisation.HMAC_SESSION_FIRST
                : Authorisation.POLICY_SESSION_FIRST) + index;
        byte[] nonceTpm = new byte[nonceCaller.length]; // Part 4 SessionCreate: as long as nonceCaller
        core.random.fill(nonceTpm);
        Authorisation.AuthSession s = new Authorisation.AuthSession(handle, alg, type, nonceTpm);
        s.symAlg = sym.alg();
        s.symKeyBits = sym.alg() == PublicArea.ALG_AES ? sym.keyBits() : 0;
        if (bind != TpmEngine.RH_NULL || salt.length != 0) {
            byte[] key = Authorisation.concat(bind == TpmEngine.RH_NULL ? new byte[0] : auth.entityAuth(bind), salt);
            s.sessionKey = Crypto.kdfa(alg, key, "ATH", nonceTpm, nonceCaller, alg.digestSize() * 8);
        }
        if (bind != TpmEngine.RH_NULL) {
            if (type == Authorisation.AuthSession.HMAC) {
                s.boundEntity = auth.boundEntity(bind); // a policy session is never bound (Part 4 Session.c)
            }
            s.daBound = !daExempt(bind);
            s.lockoutBound = s.daBound && bind == TpmEngine.RH_LOCKOUT;
        }
        core.sessions.put(handle, s);
        core.responseHandle = handle;
        out.tpm2b(nonceTpm);
    }

    /** Part 4 SessionProcess.c IsDAExempted: noDA objects and indices, PCRs, hierarchies but lockout. */
    private boolean daExempt(long h) {
        if (core.loaded(h) instanceof TpmObject o) {
            return o.pub.has(PublicArea.NO_DA);
        }
        if (NvCommands.isNvHandle(h)) {
            NvIndex i = core.st.nv.get(h);
            return i == null || i.has(NvIndex.NO_DA);
        }
        return h != TpmEngine.RH_LOCKOUT;
    }
}
