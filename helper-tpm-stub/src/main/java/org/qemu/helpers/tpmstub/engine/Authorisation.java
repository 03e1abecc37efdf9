package org.qemu.helpers.tpmstub.engine;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The authorisation area (Part 1 18.6-18.9, 19; Part 4 SessionProcess.c): parsing TPMS_AUTH_COMMAND
 * entries, checking password and HMAC sessions against the handles' authValues, and writing the
 * response's TPMS_AUTH_RESPONSE entries.
 */
final class Authorisation {
    static final int MAX_SESSIONS = 3;
    static final int MAX_ACTIVE_SESSIONS = 64;
    static final int MAX_LOADED_SESSIONS = 3;
    static final long HMAC_SESSION_FIRST = 0x02000000L;
    static final long POLICY_SESSION_FIRST = 0x03000000L;

    /** One TPMS_AUTH_COMMAND: a password session (hmac == null) or a loaded HMAC or policy session. */
    record Session(long handle, int attributes, byte[] nonceCaller, byte[] auth, AuthSession hmac) { }

    /**
     * An unbound, unsalted HMAC, policy or trial session (Part 1 19.6, 19.7): its sessionKey is
     * empty, its nonceTPM rolls; a policy session also carries its policyDigest and what the
     * assertions so far require of the authorisation (Part 4 SESSION_ATTRIBUTES).
     */
    static final class AuthSession {
        static final int HMAC = 0x00;
        static final int POLICY = 0x01;
        static final int TRIAL = 0x03;

        final long handle;
        final HashAlg alg;
        final int type;
        byte[] nonceTpm;
        byte[] policyDigest;
        /** PolicyAuthValue: the HMAC includes the entity's authValue. */
        boolean authValueNeeded;
        /** PolicyPassword: the authValue is sent in the clear instead of an HMAC. */
        boolean passwordNeeded;
        /** PolicyPCR's pcrUpdateCounter (the PCRs must not change afterwards), or -1. */
        long pcrCounter = -1;
        /** PolicyCommandCode's command code, or 0. */
        long commandCode;
        /** The sequence number of its saved context while it is saved (ContextSave), else -1. */
        long savedSequence = -1;

        AuthSession(long handle, HashAlg alg, int type, byte[] nonceTpm) {
            this.handle = handle;
            this.alg = alg;
            this.type = type;
            this.nonceTpm = nonceTpm;
            this.policyDigest = new byte[alg.digestSize()];
        }

        boolean isPolicy() {
            return type != HMAC;
        }

        boolean saved() {
            return savedSequence >= 0;
        }

        /** Part 4 Session.c SessionResetPolicyData (PolicyRestart, and after the session authorised). */
        void resetPolicy() {
            policyDigest = new byte[alg.digestSize()];
            authValueNeeded = false;
            passwordNeeded = false;
            pcrCounter = -1;
            commandCode = 0;
        }

        /** policyDigest_new = H(policyDigest_old || parts) (Part 1 19.7.2). */
        void extend(byte[]... parts) {
            java.security.MessageDigest md = alg.digest();
            md.update(policyDigest);
            for (byte[] p : parts) {
                md.update(p);
            }
            policyDigest = md.digest();
        }
    }

    private final EngineCore core;

    Authorisation(EngineCore core) {
        this.core = core;
    }

    static boolean isHmacSessionHandle(long h) {
        return h >= HMAC_SESSION_FIRST && h < HMAC_SESSION_FIRST + MAX_ACTIVE_SESSIONS;
    }

    static boolean isPolicySessionHandle(long h) {
        return h >= POLICY_SESSION_FIRST && h < POLICY_SESSION_FIRST + MAX_ACTIVE_SESSIONS;
    }

    /** Part 4 SessionProcess.c RetrieveSessionData: parse TPMS_AUTH_COMMAND entries. */
    List<Session> parseSessions(TpmReader r) throws TpmFormatException {
        List<Session> out = new ArrayList<>(MAX_SESSIONS); // mutable: HMAC keys are filled in later
        for (int i = 0; r.remaining() > 0; i++) {
            int n = i + 1;
            if (i == MAX_SESSIONS) {
                throw new TpmFormatException(TpmRc.withSession(TpmRc.SIZE, n));
            }
            try {
                long handle = r.u32();
                boolean pw = handle == TpmEngine.RS_PW;
                if (!pw && !isHmacSessionHandle(handle) && !isPolicySessionHandle(handle)) {
                    throw new TpmFormatException(TpmRc.VALUE);
                }
                byte[] nonce = r.tpm2b(Params.MAX_DIGEST);
                int attrs = r.u8();
                if ((attrs & 0x18) != 0) {
                    throw new TpmFormatException(TpmRc.RESERVED_BITS);
                }
                byte[] auth = r.tpm2b(Params.MAX_DIGEST);
                if (!pw) {
                    AuthSession hs = core.sessions.get(handle);
                    if (hs == null || hs.saved()) {
                        throw new TpmFormatException(TpmRc.REFERENCE_S0 + i); // not loaded
                    }
                    if ((attrs & 0xE6) != 0) { // no audit and no parameter encryption in this TPM
                        throw new TpmFormatException(TpmRc.ATTRIBUTES);
                    }
                    out.add(new Session(handle, attrs, nonce, auth, hs));
                    continue;
                }
                if ((attrs & 0xE6) != 0) { // audit, auditExclusive, auditReset, decrypt, encrypt
                    throw new TpmFormatException(TpmRc.ATTRIBUTES);
                }
                if (nonce.length != 0) {
                    throw new TpmFormatException(TpmRc.NONCE);
                }
                out.add(new Session(handle, attrs, nonce, auth, null));
            } catch (TpmFormatException e) {
                throw new TpmFormatException(TpmRc.withSession(e.rc(), n));
            }
        }
        return out;
    }

    /** Part 4 SessionProcess.c ParseSessionBuffer: password (CheckPWAuthSession) and HMAC sessions. */
    void check(CommandCode cc, long[] handles, List<Session> sessions, byte[] cmd, int paramStart)
            throws TpmFormatException {
        if (cc.authHandles() > sessions.size()) {
            throw new TpmFormatException(TpmRc.AUTH_MISSING);
        }
        for (int i = cc.authHandles(); i < sessions.size(); i++) {
            // a session that authorises no handle would have to audit or encrypt: not offered here
            throw new TpmFormatException(TpmRc.withSession(
                    sessions.get(i).hmac() == null ? TpmRc.HANDLE : TpmRc.ATTRIBUTES, i + 1));
        }
        byte[] params = Arrays.copyOfRange(cmd, paramStart, cmd.length);
        TpmState st = core.st;
        for (int i = 0; i < cc.authHandles(); i++) {
            long h = handles[i];
            Session s = sessions.get(i);
            if (h == TpmEngine.RH_LOCKOUT && !st.lockoutAuthEnabled) {
                throw new TpmFormatException(TpmRc.LOCKOUT);
            }
            NvIndex nv = NvCommands.isNvHandle(h) ? st.nv.get(h) : null;
            // Part 1 19.8: NV indices and objects without noDA are under dictionary-attack protection
            // when the authorisation uses their authValue (a bare policy session does not)
            AuthSession ps = s.hmac() != null && s.hmac().isPolicy() ? s.hmac() : null;
            boolean usesAuthValue = ps == null || ps.authValueNeeded || ps.passwordNeeded;
            boolean daProtected = usesAuthValue && ((nv != null && !nv.has(NvIndex.NO_DA))
                    || (core.loaded(h) instanceof TpmObject ob && !ob.pub.has(PublicArea.NO_DA)));
            if (daProtected) {
                // Part 4 SessionProcess.c CheckLockedOut, for an entity under DA protection
                if (st.failedTries >= TpmState.MAX_TRIES) {
                    throw new TpmFormatException(TpmRc.LOCKOUT);
                }
                if (!core.daUsed) {
                    // USE_DA_USED: record "DA in use" in NV first, then ask the caller to retry
                    core.daUsed = true;
                    st.orderlyState = TpmState.SU_DA_USED;
                    core.dirtyPermanent = true;
                    throw new TpmFormatException(TpmRc.RETRY);
                }
            }
            if (nv != null) {
                // Part 4 SessionProcess.c IsAuthValueAvailable: an index's authValue serves only where
                // AUTHREAD (NV_Read) or AUTHWRITE (the writing commands) allow it
                int needed = cc == CommandCode.NV_READ ? NvIndex.AUTHREAD : NvIndex.AUTHWRITE;
                if (!nv.has(needed)) {
                    throw new TpmFormatException(TpmRc.AUTH_UNAVAILABLE);
                }
            }
            byte[] expected = stripTrailingZeros(authValue(h));
            AuthSession policy = s.hmac() != null && s.hmac().isPolicy() ? s.hmac() : null;
            if (policy != null) {
                checkPolicy(cc, h, nv, policy, i + 1);
            } else if (core.loaded(h) instanceof TpmObject o && !authValueServes(o, cc, i)) {
                throw new TpmFormatException(TpmRc.AUTH_UNAVAILABLE);
            }
            boolean ok;
            if (s.hmac() == null || (policy != null && policy.passwordNeeded)) {
                ok = MessageDigest.isEqual(stripTrailingZeros(s.auth()), expected);
                if (policy != null) {
                    sessions.set(i, new Session(s.handle(), s.attributes(), s.nonceCaller(), new byte[0], policy));
                }
            } else {
                AuthSession hs = s.hmac();
                if (policy != null && !policy.authValueNeeded) {
                    expected = new byte[0]; // Part 1 19.6.8: the policy HMAC's key is the sessionKey alone
                }
                MessageDigest md = hs.alg.digest();
                md.update(Params.u32Bytes(cc.code()));
                for (long hnd : handles) {
                    md.update(core.name(hnd)); // Part 1 18.7 cpHash: the Names of all handles
                }
                md.update(params);
                byte[] want = hmac(hs.alg, expected, md.digest(), s.nonceCaller(), hs.nonceTpm, s.attributes());
                ok = MessageDigest.isEqual(want, s.auth());
                // the response HMAC uses the same key: keep it in the session record
                sessions.set(i, new Session(s.handle(), s.attributes(), s.nonceCaller(), expected, hs));
            }
            if (!ok) {
                int rc;
                if (daProtected) {
                    // Part 1 19.8: a DA-protected index counts the failure and answers AUTH_FAIL
                    st.failedTries++;
                    if (st.failedTries == 1) {
                        st.failedTriesHealedAtClock = core.clockNow();
                    }
                    core.dirtyPermanent = true;
                    rc = TpmRc.AUTH_FAIL;
                } else if (h == TpmEngine.RH_LOCKOUT) {
                    // Part 1 19.8.4: a failed lockoutAuth disables it until lockoutRecovery elapses
                    st.lockoutAuthEnabled = false;
                    st.lockoutFailedAtClock = core.clockNow();
                    core.dirtyPermanent = true;
                    rc = TpmRc.AUTH_FAIL;
                } else {
                    rc = TpmRc.BAD_AUTH; // PCRs and the other hierarchies are exempt from DA
                }
                throw new TpmFormatException(TpmRc.withSession(rc, i + 1));
            }
        }
    }

    /**
     * Part 4 SessionProcess.c CheckPolicyAuthSession: the entity's authPolicy must equal the session's
     * policyDigest, and what the assertions bound (PCRs unchanged, the command code) must still hold.
     */
    private void checkPolicy(CommandCode cc, long h, NvIndex nv, AuthSession p, int n) throws TpmFormatException {
        byte[] authPolicy;
        if (nv != null) {
            int needed = cc == CommandCode.NV_READ ? NvIndex.POLICYREAD : NvIndex.POLICYWRITE;
            if (!nv.has(needed)) {
                throw new TpmFormatException(TpmRc.withSession(TpmRc.AUTH_UNAVAILABLE, n));
            }
            authPolicy = nv.authPolicy;
        } else if (core.loaded(h) instanceof TpmObject o) {
            authPolicy = o.pub.authPolicy();
        } else {
            authPolicy = new byte[0]; // hierarchies and PCRs: no policy here (no SetPrimaryPolicy)
        }
        if (p.type == AuthSession.TRIAL || !MessageDigest.isEqual(authPolicy, p.policyDigest)) {
            throw new TpmFormatException(TpmRc.withSession(TpmRc.POLICY_FAIL, n));
        }
        if (p.pcrCounter >= 0 && p.pcrCounter != core.st.pcrCounter) {
            throw new TpmFormatException(TpmRc.PCR_CHANGED);
        }
        if (p.commandCode != 0 && p.commandCode != cc.code()) {
            throw new TpmFormatException(TpmRc.withSession(TpmRc.POLICY_CC, n));
        }
    }

    /**
     * Part 4 SessionProcess.c IsAuthValueAvailable for an object: in the USER role its authValue
     * serves only with userWithAuth; in the ADMIN role (Part 3 "Auth Role", here only the object to
     * activate of ActivateCredential) unless adminWithPolicy is set.
     */
    private static boolean authValueServes(TpmObject o, CommandCode cc, int index) {
        boolean admin = cc == CommandCode.ACTIVATE_CREDENTIAL && index == 0;
        return admin ? !o.pub.has(PublicArea.ADMIN_WITH_POLICY) : o.pub.has(PublicArea.USER_WITH_AUTH);
    }

    /** Part 1 19.6.5/19.6.6: the response authorisation area, after the response parameters {@code p}. */
    void writeResponse(CommandCode cc, List<Session> sessions, byte[] p, TpmWriter out) {
        byte[] rpHash = null;
        for (Session s : sessions) {
            if (s.hmac() == null) {
                // Part 1 19.6.5: a password session answers an empty nonce and HMAC, continueSession set
                out.u16(0).u8(0x01).u16(0);
                continue;
            }
            AuthSession hs = s.hmac();
            if (rpHash == null || rpHash.length != hs.alg.digestSize()) {
                MessageDigest md = hs.alg.digest();
                md.update(new byte[] {0, 0, 0, 0});
                md.update(Params.u32Bytes(cc.code()));
                md.update(p);
                rpHash = md.digest();
            }
            hs.nonceTpm = new byte[hs.alg.digestSize()];
            core.random.fill(hs.nonceTpm);
            if (hs.isPolicy()) {
                hs.resetPolicy(); // Part 1 19.7.1: a policy session that authorised starts over
            }
            byte[] hmac = hmac(hs.alg, s.auth() /* the key saved by check */, rpHash, hs.nonceTpm,
                    s.nonceCaller(), s.attributes());
            out.tpm2b(hs.nonceTpm).u8(s.attributes()).tpm2b(hmac);
            if ((s.attributes() & 0x01) == 0) {
                core.sessions.remove(hs.handle); // continueSession clear: the session ends here
            }
        }
    }

    /** Part 1 19.6.6: HMAC(sessionKey || authValue, pHash || nonceNewer || nonceOlder || attributes). */
    private static byte[] hmac(HashAlg alg, byte[] key, byte[] pHash, byte[] newer, byte[] older, int attrs) {
        return Crypto.hmac(alg, key, pHash, newer, older, new byte[] {(byte) attrs});
    }

    private byte[] authValue(long handle) {
        TpmState st = core.st;
        if (handle == TpmEngine.RH_OWNER) {
            return st.ownerAuth;
        } else if (handle == TpmEngine.RH_ENDORSEMENT) {
            return st.endorsementAuth;
        } else if (handle == TpmEngine.RH_LOCKOUT) {
            return st.lockoutAuth;
        } else if (handle == TpmEngine.RH_PLATFORM) {
            return st.platformAuth;
        }
        if (ObjectSlots.isTransient(handle) || (handle >>> 24) == 0x81) {
            return core.loaded(handle).authValue(); // loaded: checked when the handle was read
        }
        if (NvCommands.isNvHandle(handle)) {
            return core.st.nv.get(handle).auth; // defined: checked when the handle was read
        }
        return new byte[0]; // PCR authValues are empty (no TPM2_PCR_SetAuthValue)
    }

    /** Part 1 19.6.4: trailing zero octets of an authValue are not significant. */
    static byte[] stripTrailingZeros(byte[] b) {
        int n = b.length;
        while (n > 0 && b[n - 1] == 0) {
            n--;
        }
        return n == b.length ? b : Arrays.copyOf(b, n);
    }
}
