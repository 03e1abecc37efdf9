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

    static final int ATTR_CONTINUE = 0x01;
    static final int ATTR_AUDIT_EXCLUSIVE = 0x02;
    static final int ATTR_AUDIT_RESET = 0x04;
    static final int ATTR_DECRYPT = 0x20;
    static final int ATTR_ENCRYPT = 0x40;
    static final int ATTR_AUDIT = 0x80;

    /** One TPMS_AUTH_COMMAND: a password session (hmac == null) or a loaded HMAC or policy session. */
    static final class Session {
        final long handle;
        final int attributes;
        final byte[] nonceCaller;
        final byte[] auth;
        final AuthSession hmac;
        /** The handle it authorises (Part 4 s_associatedHandles), or -1: an encrypt/decrypt-only session. */
        long associated = -1;
        /** The entity's authValue is part of the HMAC keys (Part 4 SESSION includeAuth). */
        boolean includeAuth;

        Session(long handle, int attributes, byte[] nonceCaller, byte[] auth, AuthSession hmac) {
            this.handle = handle;
            this.attributes = attributes;
            this.nonceCaller = nonceCaller;
            this.auth = auth;
            this.hmac = hmac;
        }

        AuthSession hmac() {
            return hmac;
        }

        boolean has(int attribute) {
            return (attributes & attribute) != 0;
        }
    }

    /**
     * An HMAC, policy or trial session (Part 1 19.6, 19.7): its sessionKey (empty unless salted or
     * bound), its parameter encryption, its rolling nonceTPM; a policy session also carries its
     * policyDigest and what the assertions so far require of the authorisation (Part 4
     * SESSION_ATTRIBUTES).
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
        /** KDFa(alg, bind authValue || salt, "ATH", nonceTPM, nonceCaller) (Part 1 19.6.8), or empty. */
        byte[] sessionKey = new byte[0];
        /** TPMT_SYM_DEF: TPM_ALG_NULL, TPM_ALG_AES (CFB, symKeyBits) or TPM_ALG_XOR. */
        int symAlg = PublicArea.ALG_NULL;
        int symKeyBits;
        /** A bound HMAC session: Part 4 SessionComputeBoundEntity of the bind entity, else null. */
        byte[] boundEntity;
        /** Bound to an entity under DA protection (Part 4 isDaBound), to lockoutAuth (isLockoutBound). */
        boolean daBound;
        boolean lockoutBound;

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
    List<Session> parseSessions(CommandCode cc, TpmReader r) throws TpmFormatException {
        List<Session> out = new ArrayList<>(MAX_SESSIONS);
        boolean decrypt = false;
        boolean encrypt = false;
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
                if (pw) {
                    if ((attrs & 0xE6) != 0) { // audit, auditExclusive, auditReset, decrypt, encrypt
                        throw new TpmFormatException(TpmRc.ATTRIBUTES);
                    }
                    if (nonce.length != 0) {
                        throw new TpmFormatException(TpmRc.NONCE);
                    }
                    out.add(new Session(handle, attrs, nonce, auth, null));
                    continue;
                }
                AuthSession hs = core.sessions.get(handle);
                if (hs == null || hs.saved()) {
                    throw new TpmFormatException(TpmRc.REFERENCE_S0 + i); // not loaded
                }
                for (Session earlier : out) {
                    if (earlier.handle == handle) {
                        throw new TpmFormatException(TpmRc.HANDLE);
                    }
                }
                // only one session decrypts and one encrypts, and only a TPM2B first parameter
                if ((attrs & ATTR_DECRYPT) != 0) {
                    checkParameterEncryption(ParameterEncryption.decrypts(cc) && !decrypt, hs);
                    decrypt = true;
                }
                if ((attrs & ATTR_ENCRYPT) != 0) {
                    checkParameterEncryption(ParameterEncryption.encrypts(cc) && !encrypt, hs);
                    encrypt = true;
                }
                if ((attrs & (ATTR_AUDIT | ATTR_AUDIT_EXCLUSIVE | ATTR_AUDIT_RESET)) != 0) {
                    throw new TpmFormatException(TpmRc.ATTRIBUTES); // no audit sessions in this TPM
                }
                out.add(new Session(handle, attrs, nonce, auth, hs));
            } catch (TpmFormatException e) {
                throw new TpmFormatException(e.rc() >= TpmRc.REFERENCE_S0 && e.rc() < TpmRc.REFERENCE_S0 + 8 ? e.rc()
                        : TpmRc.withSession(e.rc(), n));
            }
        }
        return out;
    }

    /** RetrieveSessionData's decrypt/encrypt checks: allowed for the command, a cipher to do it with. */
    private static void checkParameterEncryption(boolean allowed, AuthSession hs) throws TpmFormatException {
        if (!allowed) {
            throw new TpmFormatException(TpmRc.ATTRIBUTES);
        }
        if (hs.symAlg == PublicArea.ALG_NULL) {
            throw new TpmFormatException(TpmRc.SYMMETRIC);
        }
    }

    /**
     * Part 4 SessionProcess.c ParseSessionBuffer: associates sessions with the handles that need
     * authorisation, checks each session in order (password, HMAC and policy authorisation;
     * encrypt/decrypt-only sessions by their HMAC without an authValue), then decrypts the first
     * parameter if a session asks for it. Returns the command, its first parameter decrypted (a copy)
     * or {@code cmd} itself.
     */
    byte[] check(CommandCode cc, long[] handles, List<Session> sessions, byte[] cmd, int paramStart)
            throws TpmFormatException {
        if (cc.authHandles() > sessions.size()) {
            throw new TpmFormatException(TpmRc.AUTH_MISSING);
        }
        for (int i = 0; i < cc.authHandles(); i++) {
            sessions.get(i).associated = handles[i];
        }
        // the parameters as sent are cmd[paramStart..]: hashed in place, not copied (most commands
        // here authorise with a password session and never hash them)
        TpmState st = core.st;
        for (int i = 0; i < sessions.size(); i++) {
            Session s = sessions.get(i);
            AuthSession hs = s.hmac();
            if (hs == null) {
                if (s.associated < 0) {
                    throw new TpmFormatException(TpmRc.withSession(TpmRc.HANDLE, i + 1));
                }
            } else {
                if (hs.type == AuthSession.TRIAL) {
                    throw new TpmFormatException(TpmRc.withSession(TpmRc.ATTRIBUTES, i + 1));
                }
                // a session bound to a DA-protected entity is subject to DA however it is used
                if (hs.daBound) {
                    checkLockedOut(hs.lockoutBound);
                }
            }
            if (s.associated >= 0) {
                checkAuthorisation(cc, handles, sessions, i, cmd, paramStart);
                continue;
            }
            if (!s.has(ATTR_DECRYPT) && !s.has(ATTR_ENCRYPT)) {
                throw new TpmFormatException(TpmRc.withSession(TpmRc.ATTRIBUTES, i + 1));
            }
            s.includeAuth = false;
            if (!MessageDigest.isEqual(commandHmac(cc, handles, sessions, i, cmd, paramStart), s.auth)) {
                throw new TpmFormatException(TpmRc.withSession(TpmRc.BAD_AUTH, i + 1));
            }
        }
        int d = indexOf(sessions, ATTR_DECRYPT);
        if (d < 0) {
            return cmd;
        }
        Session s = sessions.get(d);
        byte[] copy = cmd.clone();
        byte[] key = concat(s.hmac().sessionKey, s.associated >= 0 ? entityAuth(s.associated) : new byte[0]);
        if (!ParameterEncryption.apply(false, s.hmac(), key, s.nonceCaller, s.hmac().nonceTpm, copy, paramStart,
                copy.length)) {
            throw new TpmFormatException(TpmRc.withSession(TpmRc.SIZE, d + 1));
        }
        return copy;
    }

    private static int indexOf(List<Session> sessions, int attribute) {
        for (int i = 0; i < sessions.size(); i++) {
            if (sessions.get(i).hmac() != null && sessions.get(i).has(attribute)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Part 4 SessionProcess.c CheckLockedOut, for an entity under DA protection: lockoutAuth disabled,
     * or too many failures; USE_DA_USED: the first such use after Startup records "DA in use" in NV,
     * then asks the caller to retry.
     */
    private void checkLockedOut(boolean lockoutAuthCheck) throws TpmFormatException {
        TpmState st = core.st;
        if (lockoutAuthCheck) {
            if (!st.lockoutAuthEnabled) {
                throw new TpmFormatException(TpmRc.LOCKOUT);
            }
            return;
        }
        if (st.failedTries >= TpmState.MAX_TRIES) {
            throw new TpmFormatException(TpmRc.LOCKOUT);
        }
        if (!core.daUsed) {
            core.daUsed = true;
            st.orderlyState = TpmState.SU_DA_USED;
            core.dirtyPermanent = true;
            throw new TpmFormatException(TpmRc.RETRY);
        }
    }

    /** Part 4 SessionProcess.c CheckAuthSession: session {@code i} authorises handle {@code i}. */
    private void checkAuthorisation(CommandCode cc, long[] handles, List<Session> sessions, int i, byte[] cmd,
            int paramStart)
            throws TpmFormatException {
        TpmState st = core.st;
        Session s = sessions.get(i);
        long h = s.associated;
        if (h == TpmEngine.RH_LOCKOUT && !st.lockoutAuthEnabled) {
            throw new TpmFormatException(TpmRc.LOCKOUT);
        }
        NvIndex nv = NvCommands.isNvHandle(h) ? st.nv.get(h) : null;
        AuthSession policy = s.hmac() != null && s.hmac().isPolicy() ? s.hmac() : null;
        if (policy != null) {
            s.includeAuth = policy.authValueNeeded || policy.passwordNeeded;
        } else if (s.hmac() != null) {
            // Part 1 19.6.9: a session bound to this very entity already holds its authValue
            s.includeAuth = !isBindEntity(h, s.hmac());
        }
        boolean usesAuthValue = s.hmac() == null || s.includeAuth;
        // Part 1 19.8: NV indices and objects without noDA are under dictionary-attack protection
        // when the authorisation uses their authValue (a bare policy session does not)
        boolean daProtected = usesAuthValue && ((nv != null && !nv.has(NvIndex.NO_DA))
                || (core.loaded(h) instanceof TpmObject ob && !ob.pub.has(PublicArea.NO_DA)));
        if (daProtected) {
            checkLockedOut(false);
        }
        if (policy != null) {
            // Part 4 SessionProcess.c CheckAuthSession: a policy session needs the entity's authPolicy
            // available (IsAuthPolicyAvailable), then satisfied (CheckPolicyAuthSession)
            if (!authPolicyAvailable(cc, h, nv)) {
                throw new TpmFormatException(TpmRc.AUTH_UNAVAILABLE);
            }
            checkPolicy(cc, h, nv, policy, i + 1);
        } else {
            // a password or HMAC session: refused where only a policy may authorise (IsPolicySessionRequired),
            // then where the authValue does not serve (IsAuthValueAvailable)
            if (adminRole(cc, i) && core.loaded(h) instanceof TpmObject o && o.pub.has(PublicArea.ADMIN_WITH_POLICY)) {
                throw new TpmFormatException(TpmRc.AUTH_TYPE);
            }
            if (!authValueAvailable(cc, h, nv, i)) {
                throw new TpmFormatException(TpmRc.AUTH_UNAVAILABLE);
            }
        }
        boolean ok;
        if (s.hmac() == null || (policy != null && policy.passwordNeeded)) {
            ok = MessageDigest.isEqual(stripTrailingZeros(s.auth), entityAuth(h));
        } else {
            ok = MessageDigest.isEqual(commandHmac(cc, handles, sessions, i, cmd, paramStart), s.auth);
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

    /**
     * Part 4 SessionProcess.c ComputeCommandHMAC: HMAC(sessionKey || authValue, cpHash ||
     * nonceCaller || nonceTPM [|| nonceTPM of the decrypt session || of the encrypt session, for the
     * first session when it authorises] || attributes), cpHash over the Names of all handles and the
     * parameters as sent (encrypted). An empty key and an empty HMAC match.
     */
    private byte[] commandHmac(CommandCode cc, long[] handles, List<Session> sessions, int i, byte[] cmd,
            int paramStart) {
        Session s = sessions.get(i);
        AuthSession hs = s.hmac();
        byte[] key = concat(hs.sessionKey, s.includeAuth ? entityAuth(s.associated) : new byte[0]);
        if (key.length == 0 && s.auth.length == 0) {
            return new byte[0];
        }
        // Part 1 18.7 cpHash: the Names of all handles (made first: an NV index's Name is hashed with
        // the same per-thread digest instance)
        byte[][] names = new byte[handles.length][];
        for (int k = 0; k < handles.length; k++) {
            names[k] = core.name(handles[k]);
        }
        MessageDigest md = hs.alg.digest();
        md.update(Params.u32Bytes(cc.code()));
        for (byte[] name : names) {
            md.update(name);
        }
        md.update(cmd, paramStart, cmd.length - paramStart);
        byte[] cpHash = md.digest();
        byte[] nonceDecrypt = new byte[0];
        byte[] nonceEncrypt = new byte[0];
        if (i == 0 && s.associated >= 0) {
            int d = indexOf(sessions, ATTR_DECRYPT);
            int e = indexOf(sessions, ATTR_ENCRYPT);
            if (d > 0) {
                nonceDecrypt = sessions.get(d).hmac().nonceTpm;
            }
            if (e > 0 && e != d) {
                nonceEncrypt = sessions.get(e).hmac().nonceTpm;
            }
        }
        return Crypto.hmac(hs.alg, key, cpHash, s.nonceCaller, hs.nonceTpm, nonceDecrypt, nonceEncrypt,
                new byte[] {(byte) s.attributes});
    }

    /** Part 4 SessionProcess.c IsSessionBindEntity: the entity's Name and authValue are the bound ones. */
    private boolean isBindEntity(long h, AuthSession hs) {
        return hs.boundEntity != null && MessageDigest.isEqual(hs.boundEntity, boundEntity(h));
    }

    /**
     * Part 4 Session.c SessionComputeBoundEntity: the entity's Name in a TPMU_NAME-sized buffer (66
     * bytes) with its authValue XORed into the last bytes.
     */
    byte[] boundEntity(long h) {
        byte[] name = core.name(h);
        byte[] auth = entityAuth(h);
        byte[] b = Arrays.copyOf(name, 2 + Params.MAX_DIGEST);
        for (int k = 0; k < auth.length; k++) {
            b[b.length - auth.length + k] ^= auth[k];
        }
        return b;
    }

    /**
     * Part 4 SessionProcess.c IsAuthValueAvailable: an NV index's authValue serves only where AUTHREAD
     * (NV_Read) or AUTHWRITE (the writing commands) allow it; an object's only if its private part is
     * loaded and its attributes allow it for the role; hierarchies, PCRs and sequences always.
     */
    private boolean authValueAvailable(CommandCode cc, long h, NvIndex nv, int index) {
        if (nv != null) {
            return nv.has(cc == CommandCode.NV_READ ? NvIndex.AUTHREAD : NvIndex.AUTHWRITE);
        }
        if (core.loaded(h) instanceof TpmObject o) {
            return !o.publicOnly() && authValueServes(o, cc, index);
        }
        return true;
    }

    /**
     * Part 4 SessionProcess.c IsAuthPolicyAvailable: an NV index's authPolicy serves where POLICYREAD
     * (NV_Read) or POLICYWRITE (the writing commands) allow it (Part 1 19.7, Part 3 31.2), an object's
     * if its private part is loaded, a sequence object's always (its authPolicy is empty); hierarchies
     * here have no authPolicy (no SetPrimaryPolicy), nor PCRs.
     */
    private boolean authPolicyAvailable(CommandCode cc, long h, NvIndex nv) {
        if (nv != null) {
            return nv.has(cc == CommandCode.NV_READ ? NvIndex.POLICYREAD : NvIndex.POLICYWRITE);
        }
        LoadedObject o = core.loaded(h);
        return o instanceof TpmObject t ? !t.publicOnly() : o != null;
    }

    /**
     * Part 4 SessionProcess.c CheckPolicyAuthSession, in its order: PolicySecret wants an assertion of the
     * authValue (TPM_RC_MODE), the PCRs have not changed since PolicyPCR, the entity's authPolicy equals
     * the session's policyDigest and its nameAlg the session's hash, PolicyCommandCode's command is this
     * one, and a command in the ADMIN role (Part 3 "Auth Role") has had its command code asserted.
     */
    private void checkPolicy(CommandCode cc, long h, NvIndex nv, AuthSession p, int n) throws TpmFormatException {
        if (cc == CommandCode.POLICY_SECRET && !p.authValueNeeded && !p.passwordNeeded) {
            throw new TpmFormatException(TpmRc.withSession(TpmRc.MODE, n));
        }
        if (p.pcrCounter >= 0 && p.pcrCounter != core.st.pcrCounter) {
            throw new TpmFormatException(TpmRc.PCR_CHANGED);
        }
        byte[] authPolicy;
        HashAlg policyAlg;
        if (nv != null) {
            authPolicy = nv.authPolicy;
            policyAlg = nv.nameAlg;
        } else if (core.loaded(h) instanceof TpmObject o) {
            authPolicy = o.pub.authPolicy();
            policyAlg = o.pub.nameAlg();
        } else {
            authPolicy = new byte[0]; // a sequence object: nameAlg TPM_ALG_NULL, no authPolicy
            policyAlg = null;
        }
        if (!MessageDigest.isEqual(authPolicy, p.policyDigest) || policyAlg != p.alg) {
            throw new TpmFormatException(TpmRc.withSession(TpmRc.POLICY_FAIL, n));
        }
        if (p.commandCode != 0) {
            if (p.commandCode != cc.code()) {
                throw new TpmFormatException(TpmRc.withSession(TpmRc.POLICY_CC, n));
            }
        } else if (adminRole(cc, n - 1)) {
            throw new TpmFormatException(TpmRc.withSession(TpmRc.POLICY_FAIL, n));
        }
    }

    /** Part 3 "Auth Role: ADMIN": the first handle of ActivateCredential, ObjectChangeAuth and Certify. */
    private static boolean adminRole(CommandCode cc, int index) {
        return index == 0 && (cc == CommandCode.ACTIVATE_CREDENTIAL || cc == CommandCode.OBJECT_CHANGE_AUTH
                || cc == CommandCode.CERTIFY);
    }

    /**
     * Part 4 SessionProcess.c IsAuthValueAvailable for an object: in the USER role its authValue
     * serves only with userWithAuth; in the ADMIN role (Part 3 "Auth Role": the first handle of
     * ActivateCredential, ObjectChangeAuth and Certify) unless adminWithPolicy is set.
     */
    private static boolean authValueServes(TpmObject o, CommandCode cc, int index) {
        return adminRole(cc, index) ? !o.pub.has(PublicArea.ADMIN_WITH_POLICY) : o.pub.has(PublicArea.USER_WITH_AUTH);
    }

    /**
     * Part 4 SessionProcess.c BuildResponseSession, first half: every session's nonceTPM rolls, then
     * the first response parameter is encrypted for the session that asked (key: sessionKey and the
     * authValue of the entity it authorised, as it is after the command). Returns the parameters to send.
     */
    byte[] prepareResponse(CommandCode cc, List<Session> sessions, byte[] p) {
        for (Session s : sessions) {
            if (s.hmac() != null) {
                core.random.fill(s.hmac().nonceTpm);
            }
        }
        int e = indexOf(sessions, ATTR_ENCRYPT);
        if (e < 0) {
            return p;
        }
        Session s = sessions.get(e);
        byte[] key = concat(s.hmac().sessionKey, s.associated >= 0 ? entityAuth(s.associated) : new byte[0]);
        byte[] out = p.clone();
        ParameterEncryption.apply(true, s.hmac(), key, s.hmac().nonceTpm, s.nonceCaller, out, 0, out.length);
        return out;
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
            byte[] hmac;
            if (hs.isPolicy() && hs.passwordNeeded) {
                hmac = new byte[0]; // Part 4 BuildSingleResponseAuth: PolicyPassword answers no HMAC
            } else {
                // the authValue as it is now (HierarchyChangeAuth answers under the new one, as libtpms)
                byte[] key = concat(hs.sessionKey, s.includeAuth ? entityAuth(s.associated) : new byte[0]);
                hmac = key.length == 0 && s.auth.length == 0 ? new byte[0]
                        : Crypto.hmac(hs.alg, key, rpHash, hs.nonceTpm, s.nonceCaller, new byte[] {(byte) s.attributes});
            }
            if (hs.isPolicy()) {
                hs.resetPolicy(); // Part 1 19.7.1: a policy session that authorised starts over
            }
            out.tpm2b(hs.nonceTpm).u8(s.attributes).tpm2b(hmac);
            if ((s.attributes & ATTR_CONTINUE) == 0) {
                core.sessions.remove(hs.handle); // continueSession clear: the session ends here
            }
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        if (b.length == 0) {
            return a;
        }
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * Part 4 Entity.c EntityGetAuthValue: the authValue of a hierarchy, object or NV index with its
     * trailing zeros removed (Part 1 19.6.4); empty for PCRs, TPM_RH_NULL and what no longer exists.
     */
    byte[] entityAuth(long handle) {
        TpmState st = core.st;
        byte[] a;
        if (handle == TpmEngine.RH_OWNER) {
            a = st.ownerAuth;
        } else if (handle == TpmEngine.RH_ENDORSEMENT) {
            a = st.endorsementAuth;
        } else if (handle == TpmEngine.RH_LOCKOUT) {
            a = st.lockoutAuth;
        } else if (handle == TpmEngine.RH_PLATFORM) {
            a = st.platformAuth;
        } else if (ObjectSlots.isTransient(handle) || (handle >>> 24) == 0x81) {
            LoadedObject o = core.loaded(handle);
            a = o == null ? new byte[0] : o.authValue();
        } else if (NvCommands.isNvHandle(handle)) {
            NvIndex i = st.nv.get(handle);
            a = i == null ? new byte[0] : i.auth;
        } else {
            a = new byte[0]; // PCR authValues are empty (no TPM2_PCR_SetAuthValue)
        }
        return stripTrailingZeros(a);
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
