package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.util.Set;

/** Part 3 chapter 11 (Session Commands): StartAuthSession (unbound, unsalted HMAC, policy and trial sessions). */
final class SessionCommands implements CommandGroup {
    private final EngineCore core;

    SessionCommands(EngineCore core) {
        this.core = core;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.START_AUTH_SESSION);
    }

    @Override
    public long handle(CommandCode cc, int index, long h) throws TpmFormatException {
        // only unsalted, unbound sessions: tpmKey and bind must be TPM_RH_NULL
        if (h != TpmEngine.RH_NULL) {
            int type = (int) (h >>> 24);
            if (type == 0x80 && core.objects.get(h) == null) {
                throw new TpmFormatException(TpmRc.REFERENCE_H0); // not loaded
            }
            // salted and bound sessions are not offered: an existing key or entity is refused as a value
            throw new TpmFormatException(type == 0x81 && !core.st.persistent.containsKey(h) ? TpmRc.HANDLE
                    : TpmRc.VALUE);
        }
        return h;
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
        byte[] nonceCaller = param(r, 1, rd -> rd.tpm2b(Params.MAX_DIGEST));
        byte[] salt = param(r, 2, rd -> rd.tpm2b(512));
        int type = param(r, 3, rd -> {
            int t = rd.u8();
            if (t != 0x00 && t != 0x01 && t != 0x03) {
                throw new TpmFormatException(TpmRc.VALUE);
            }
            return t;
        });
        param(r, 4, SessionCommands::symDef);
        HashAlg alg = param(r, 5, Params::hashAlg);
        noMoreParams(r);
        startAuthSession(nonceCaller, salt, type, alg, c.out());
    }

    /** TPMT_SYM_DEF for sessions: TPM_ALG_NULL, or AES-128/192/256 in CFB mode (accepted, never used). */
    private static int symDef(TpmReader r) throws TpmFormatException {
        int alg = r.u16();
        if (alg == 0x0010) {
            return alg;
        }
        if (alg != 0x0006) {
            throw new TpmFormatException(TpmRc.SYMMETRIC);
        }
        int bits = r.u16();
        if (bits != 128 && bits != 192 && bits != 256) {
            throw new TpmFormatException(TpmRc.KEY_SIZE);
        }
        if (r.u16() != 0x0043) {
            throw new TpmFormatException(TpmRc.MODE);
        }
        return alg;
    }

    /** Part 3 11.1 TPM2_StartAuthSession, for unbound unsalted HMAC sessions only. */
    private void startAuthSession(byte[] nonceCaller, byte[] salt, int type, HashAlg alg, TpmWriter out)
            throws TpmFormatException {
        if (nonceCaller.length < 16) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SIZE, 1));
        }
        if (salt.length != 0) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 2)); // no tpmKey to decrypt a salt
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
        byte[] nonceTpm = new byte[alg.digestSize()];
        core.random.fill(nonceTpm);
        core.sessions.put(handle, new Authorisation.AuthSession(handle, alg, type, nonceTpm));
        core.responseHandle = handle;
        out.tpm2b(nonceTpm);
    }
}
