package org.qemu.helpers.tpmstub.engine;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * A TPM 2.0 command engine: command bytes in, response bytes out (TPM 2.0 Library Part 1 18,
 * Part 3). No I/O: time comes from an injected millisecond clock and randomness from an injected
 * {@link RandomSource}. Not thread-safe; callers serialise access.
 *
 * <p>Command processing follows the reference implementation's order (Part 4 ExecCommand.c):
 * header, command code, startup state, handles, authorisation area, parameters, action.
 */
public final class TpmEngine {
    public static final int MAX_COMMAND_SIZE = 4096;
    public static final int ST_NO_SESSIONS = 0x8001;
    public static final int ST_SESSIONS = 0x8002;

    static final long RS_PW = 0x40000009L;
    static final long RH_OWNER = 0x40000001L;
    static final long RH_NULL = 0x40000007L;
    static final long RH_LOCKOUT = 0x4000000AL;
    static final long RH_ENDORSEMENT = 0x4000000BL;
    static final long RH_PLATFORM = 0x4000000CL;
    static final long RH_ACT_0 = 0x40000110L;
    static final long RH_ACT_F = 0x4000011FL;
    /** The TPM_ST values of Part 2 6.9 (table 19). */
    private static final java.util.Set<Integer> KNOWN_ST = java.util.Set.of(0x00C4, 0x8000, 0x8001, 0x8002,
            0x8014, 0x8015, 0x8016, 0x8017, 0x8018, 0x8019, 0x801A, 0x8021, 0x8022, 0x8023, 0x8024,
            0x8025);
    private static final int MAX_SESSIONS = 3;
    private static final int MAX_LOADED_OBJECTS = 3;
    private static final int MAX_ACTIVE_SESSIONS = 64;
    private static final int MAX_DIGEST = 64;
    private static final int MAX_SYM_DATA = 128;
    private static final int MAX_EVENT_DATA = 1024;
    private static final int CLOCK_UPDATE_MS = 4096;

    /** Source of random bytes for TPM2_GetRandom; {@link #stir} adds caller entropy (TPM2_StirRandom). */
    public interface RandomSource {
        void fill(byte[] out);

        void stir(byte[] entropy);
    }

    /** A response plus which parts of the state the command changed (to persist before replying). */
    public record Result(byte[] response, int rc, boolean permanentChanged, boolean volatileChanged) { }

    private final TpmState st;
    /** Loaded HMAC sessions (volatile, lost at _TPM_Init and TPM Reset; never saved). */
    private final java.util.Map<Long, HmacSession> hmacSessions = new java.util.TreeMap<>();
    private final LongSupplier millis;
    private final RandomSource random;
    private long initMillis;
    private boolean running;
    private boolean dirtyPermanent;
    private boolean dirtyVolatile;
    private boolean clearOrderly;

    /** A freshly manufactured TPM with the given allocated banks, initialised (_TPM_Init) but not started. */
    public TpmEngine(Set<HashAlg> banks, LongSupplier millis, RandomSource random) {
        this.st = new TpmState(banks);
        this.millis = millis;
        this.random = random;
        this.initMillis = millis.getAsLong();
        this.running = true;
    }

    // ------------------------------------------------------------------ life cycle (control channel)

    /** _TPM_Init (swtpm CMD_INIT): volatile state from {@code restored} if given, else reset; TPM not started. */
    public void init(TpmState.Volatile restored) {
        hmacSessions.clear();
        st.nvClock = clockNow();
        initMillis = millis.getAsLong();
        if (restored != null) {
            st.applyVolatile(restored);
        } else {
            st.resetVolatile();
            st.clockAtInit = st.nvClock;
            st.timeAtInit = 0;
        }
        running = true;
    }

    /** swtpm CMD_STOP: the TPM stops answering until the next {@link #init}. */
    public void stop() {
        st.nvClock = clockNow();
        running = false;
    }

    public boolean running() {
        return running;
    }

    public TpmState state() {
        return st;
    }

    /** TPM clock in ms: advances while the engine exists and persists across init. */
    public long clockNow() {
        return running ? st.clockAtInit + (millis.getAsLong() - initMillis) : st.nvClock;
    }

    private long timeNow() {
        return st.timeAtInit + (millis.getAsLong() - initMillis);
    }

    public byte[] encodePermanent() {
        return st.encodePermanent(clockNow());
    }

    public byte[] encodeVolatile() {
        return st.encodeVolatile(timeNow(), clockNow());
    }

    /** The sealed volatile state encoded into a reusable writer (see {@link TpmWriter#buffer()}). */
    public TpmWriter encodeVolatileInto(TpmWriter w) {
        return st.encodeVolatileInto(w, timeNow(), clockNow());
    }

    /** Replaces the whole state with validated blobs (migration, restore); the TPM is then running. */
    public void load(TpmState.Permanent p, TpmState.Volatile v) {
        hmacSessions.clear();
        st.applyPermanent(p);
        initMillis = millis.getAsLong();
        if (v != null) {
            st.applyVolatile(v);
        } else {
            st.resetVolatile();
            st.clockAtInit = p.clock();
            st.timeAtInit = 0;
        }
        running = true;
    }

    /** Replaces only the permanent part (SET_STATEBLOB type 1 while stopped). */
    public void loadPermanent(TpmState.Permanent p) {
        st.applyPermanent(p);
    }

    /** swtpm RESET_TPMESTABLISHED: clears the establishment flag; true if it was set. */
    public boolean resetEstablished() {
        boolean was = st.tpmEstablished;
        st.tpmEstablished = false;
        return was;
    }

    // ------------------------------------------------------------------ command execution

    /** Executes one command at the given locality (0-4) and returns the response (Part 1 18.9). */
    public Result execute(byte[] command, int locality) {
        dirtyPermanent = false;
        dirtyVolatile = false;
        clearOrderly = false;
        byte[] resp;
        int rc;
        if (!running) {
            rc = TpmRc.FAILURE;
            resp = errorResponse(rc);
        } else {
            selfHeal();
            try {
                resp = run(command, locality);
                rc = TpmRc.SUCCESS;
            } catch (TpmFormatException e) {
                rc = e.rc();
                resp = errorResponse(rc);
            }
            if (clearOrderly && st.orderlyState != TpmState.SU_NONE) {
                st.orderlyState = TpmState.SU_NONE;
                dirtyPermanent = true;
            }
        }
        return new Result(resp, rc, dirtyPermanent, dirtyVolatile);
    }

    static byte[] errorResponse(int rc) {
        return new TpmWriter(10).u16(ST_NO_SESSIONS).u32(10).u32(rc).toByteArray();
    }

    /** One TPMS_AUTH_COMMAND: a password session (hmac == null) or a loaded HMAC session. */
    private record Session(long handle, int attributes, byte[] nonceCaller, byte[] auth, HmacSession hmac) { }

    /** An unbound, unsalted HMAC session (Part 1 19.6): its key is empty, its nonceTPM rolls. */
    static final class HmacSession {
        final long handle;
        final HashAlg alg;
        byte[] nonceTpm;

        HmacSession(long handle, HashAlg alg, byte[] nonceTpm) {
            this.handle = handle;
            this.alg = alg;
            this.nonceTpm = nonceTpm;
        }
    }

    private byte[] run(byte[] cmd, int locality) throws TpmFormatException {
        TpmReader r = new TpmReader(cmd, 0, cmd.length);
        int tag = r.u16();
        if (tag != ST_NO_SESSIONS && tag != ST_SESSIONS) {
            // TPM_ST_Unmarshal refuses unknown TPM_ST values; TPMI_ST_COMMAND_TAG the other known ones
            throw new TpmFormatException(KNOWN_ST.contains(tag) ? TpmRc.BAD_TAG : TpmRc.VALUE);
        }
        long size = r.u32();
        if (size != cmd.length || size > MAX_COMMAND_SIZE) {
            throw new TpmFormatException(TpmRc.COMMAND_SIZE);
        }
        CommandCode cc = CommandCode.byCode(r.u32());
        if (cc == null) {
            throw new TpmFormatException(TpmRc.COMMAND_CODE);
        }
        // Part 3 9.3: only TPM2_Startup before startup, and it only once
        if (st.started == (cc == CommandCode.STARTUP)) {
            throw new TpmFormatException(TpmRc.INITIALIZE);
        }
        long[] handles = new long[cc.handles()];
        for (int i = 0; i < handles.length; i++) {
            try {
                handles[i] = parseHandle(cc, r);
            } catch (TpmFormatException e) {
                throw new TpmFormatException(e.rc() == TpmRc.REFERENCE_H0 ? e.rc() + i
                        : TpmRc.withHandle(e.rc(), i + 1));
            }
        }
        List<Session> sessions = List.of();
        if (tag == ST_SESSIONS) {
            long authSize = r.u32();
            if (authSize < 9 || authSize > r.remaining()) {
                throw new TpmFormatException(TpmRc.SIZE);
            }
            if (!cc.sessionsAllowed()) {
                throw new TpmFormatException(TpmRc.AUTH_CONTEXT);
            }
            int outer = r.pushLimit((int) authSize);
            sessions = parseSessions(r);
            r.restoreLimit(outer);
            checkAuthorisation(cc, handles, sessions, cmd, r.position());
        } else if (cc.authHandles() > 0) {
            throw new TpmFormatException(TpmRc.AUTH_MISSING);
        }
        TpmWriter params = new TpmWriter(256);
        responseHandle = -1;
        dispatch(cc, handles, r, params, locality);
        byte[] p = params.toByteArray();
        TpmWriter out = new TpmWriter(p.length + 64);
        out.u16(tag).u32(0).u32(TpmRc.SUCCESS);
        if (responseHandle >= 0) {
            out.u32(responseHandle);
        }
        if (tag == ST_SESSIONS) {
            out.u32(p.length);
        }
        out.bytes(p);
        if (tag == ST_SESSIONS) {
            byte[] rpHash = null;
            for (Session s : sessions) {
                if (s.hmac() == null) {
                    // Part 1 19.6.5: a password session answers an empty nonce and HMAC, continueSession set
                    out.u16(0).u8(0x01).u16(0);
                    continue;
                }
                HmacSession hs = s.hmac();
                if (rpHash == null || rpHash.length != hs.alg.digestSize()) {
                    MessageDigest md = hs.alg.digest();
                    md.update(new byte[] {0, 0, 0, 0});
                    md.update(u32Bytes(cc.code()));
                    md.update(p);
                    rpHash = md.digest();
                }
                hs.nonceTpm = new byte[hs.alg.digestSize()];
                random.fill(hs.nonceTpm);
                byte[] hmac = hmac(hs.alg, s.auth() /* key saved below */, rpHash, hs.nonceTpm, s.nonceCaller(),
                        s.attributes());
                out.tpm2b(hs.nonceTpm).u8(s.attributes()).tpm2b(hmac);
                if ((s.attributes() & 0x01) == 0) {
                    hmacSessions.remove(hs.handle); // continueSession clear: the session ends here
                }
            }
        }
        out.putU32At(2, out.length());
        return out.toByteArray();
    }

    private long responseHandle;

    private static byte[] u32Bytes(long v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    /** Part 1 19.6.6: HMAC(sessionKey || authValue, pHash || nonceNewer || nonceOlder || attributes). */
    private static byte[] hmac(HashAlg alg, byte[] key, byte[] pHash, byte[] newer, byte[] older, int attrs) {
        try {
            String name = switch (alg) {
                case SHA1 -> "HmacSHA1";
                case SHA256 -> "HmacSHA256";
                case SHA384 -> "HmacSHA384";
                case SHA512 -> "HmacSHA512";
            };
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance(name);
            // an empty HMAC key is legal (Part 1 19.6.6) but JCE refuses empty keys: HMAC pads keys with
            // zeros to the block size, so a single zero byte is the same key
            mac.init(new javax.crypto.spec.SecretKeySpec(key.length == 0 ? new byte[1] : key, name));
            mac.update(pHash);
            mac.update(newer);
            mac.update(older);
            mac.update((byte) attrs);
            return mac.doFinal();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("HMAC " + alg, e);
        }
    }

    private long parseHandle(CommandCode cc, TpmReader r) throws TpmFormatException {
        long h = r.u32();
        switch (cc) {
            case PCR_EXTEND, PCR_EVENT -> {
                if (h >= PcrAttributes.COUNT && h != RH_NULL) {
                    throw new TpmFormatException(TpmRc.VALUE);
                }
            }
            case PCR_RESET -> {
                if (h >= PcrAttributes.COUNT) {
                    throw new TpmFormatException(TpmRc.VALUE);
                }
            }
            case HIERARCHY_CHANGE_AUTH -> {
                if (h != RH_OWNER && h != RH_PLATFORM && h != RH_ENDORSEMENT && h != RH_LOCKOUT) {
                    throw new TpmFormatException(TpmRc.VALUE);
                }
            }
            case START_AUTH_SESSION -> {
                // only unsalted, unbound sessions: tpmKey and bind must be TPM_RH_NULL
                if (h != RH_NULL) {
                    int type = (int) (h >>> 24);
                    if (type == 0x80) {
                        throw new TpmFormatException(TpmRc.REFERENCE_H0); // no transient object is loaded
                    }
                    throw new TpmFormatException(type == 0x81 ? TpmRc.HANDLE : TpmRc.VALUE);
                }
            }
            default -> throw new IllegalStateException("no handle for " + cc);
        }
        return h;
    }

    /** Part 3 1.? / Part 4 SessionProcess.c RetrieveSessionData: parse TPMS_AUTH_COMMAND entries. */
    private List<Session> parseSessions(TpmReader r) throws TpmFormatException {
        List<Session> out = new ArrayList<>(MAX_SESSIONS); // mutable: HMAC keys are filled in later
        for (int i = 0; r.remaining() > 0; i++) {
            int n = i + 1;
            if (i == MAX_SESSIONS) {
                throw new TpmFormatException(TpmRc.withSession(TpmRc.SIZE, n));
            }
            try {
                long handle = r.u32();
                boolean pw = handle == RS_PW;
                boolean hmac = handle >= 0x02000000L && handle < 0x02000000L + MAX_ACTIVE_SESSIONS;
                boolean policy = handle >= 0x03000000L && handle < 0x03000000L + MAX_ACTIVE_SESSIONS;
                if (!pw && !hmac && !policy) {
                    throw new TpmFormatException(TpmRc.VALUE);
                }
                byte[] nonce = r.tpm2b(MAX_DIGEST);
                int attrs = r.u8();
                if ((attrs & 0x18) != 0) {
                    throw new TpmFormatException(TpmRc.RESERVED_BITS);
                }
                byte[] auth = r.tpm2b(MAX_DIGEST);
                if (!pw) {
                    HmacSession hs = hmacSessions.get(handle);
                    if (hs == null) {
                        // not loaded (and policy sessions are never started here)
                        throw new TpmFormatException(TpmRc.REFERENCE_S0 + i);
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
    private void checkAuthorisation(CommandCode cc, long[] handles, List<Session> sessions, byte[] cmd,
                                    int paramStart) throws TpmFormatException {
        if (cc.authHandles() > sessions.size()) {
            throw new TpmFormatException(TpmRc.AUTH_MISSING);
        }
        for (int i = cc.authHandles(); i < sessions.size(); i++) {
            // a session that authorises no handle would have to audit or encrypt: not offered here
            throw new TpmFormatException(TpmRc.withSession(
                    sessions.get(i).hmac() == null ? TpmRc.HANDLE : TpmRc.ATTRIBUTES, i + 1));
        }
        byte[] params = Arrays.copyOfRange(cmd, paramStart, cmd.length);
        for (int i = 0; i < cc.authHandles(); i++) {
            long h = handles[i];
            Session s = sessions.get(i);
            if (h == RH_LOCKOUT && !st.lockoutAuthEnabled) {
                throw new TpmFormatException(TpmRc.LOCKOUT);
            }
            byte[] expected = stripTrailingZeros(authValue(h));
            boolean ok;
            if (s.hmac() == null) {
                ok = MessageDigest.isEqual(stripTrailingZeros(s.auth()), expected);
            } else {
                HmacSession hs = s.hmac();
                MessageDigest md = hs.alg.digest();
                md.update(u32Bytes(cc.code()));
                for (long hnd : handles) {
                    md.update(u32Bytes(hnd)); // the Name of a PCR or permanent handle is the handle
                }
                md.update(params);
                byte[] want = hmac(hs.alg, expected, md.digest(), s.nonceCaller(), hs.nonceTpm, s.attributes());
                ok = MessageDigest.isEqual(want, s.auth());
                // the response HMAC uses the same key: keep it in the session record
                sessions.set(i, new Session(s.handle(), s.attributes(), s.nonceCaller(), expected, hs));
            }
            if (!ok) {
                int rc;
                if (h == RH_LOCKOUT) {
                    // Part 1 19.8.4: a failed lockoutAuth disables it until lockoutRecovery elapses
                    st.lockoutAuthEnabled = false;
                    st.lockoutFailedAtClock = clockNow();
                    dirtyPermanent = true;
                    rc = TpmRc.AUTH_FAIL;
                } else {
                    rc = TpmRc.BAD_AUTH; // PCRs and the other hierarchies are exempt from DA
                }
                throw new TpmFormatException(TpmRc.withSession(rc, i + 1));
            }
        }
    }

    private byte[] authValue(long handle) {
        if (handle == RH_OWNER) {
            return st.ownerAuth;
        } else if (handle == RH_ENDORSEMENT) {
            return st.endorsementAuth;
        } else if (handle == RH_LOCKOUT) {
            return st.lockoutAuth;
        } else if (handle == RH_PLATFORM) {
            return st.platformAuth;
        }
        return new byte[0]; // PCR authValues are empty (no TPM2_PCR_SetAuthValue)
    }

    static byte[] stripTrailingZeros(byte[] b) {
        int n = b.length;
        while (n > 0 && b[n - 1] == 0) {
            n--;
        }
        return n == b.length ? b : Arrays.copyOf(b, n);
    }

    private void selfHeal() {
        if (!st.lockoutAuthEnabled
                && clockNow() - st.lockoutFailedAtClock >= Capabilities.LOCKOUT_RECOVERY_S * 1000L) {
            st.lockoutAuthEnabled = true;
            dirtyPermanent = true;
        }
        if (!st.clockSafe && clockNow() - st.clockAtInit >= CLOCK_UPDATE_MS) {
            st.clockSafe = true;
        }
    }

    // ------------------------------------------------------------------ parameters and actions

    private interface Param<T> {
        T read(TpmReader r) throws TpmFormatException;
    }

    private static <T> T param(TpmReader r, int n, Param<T> p) throws TpmFormatException {
        try {
            return p.read(r);
        } catch (TpmFormatException e) {
            throw new TpmFormatException(TpmRc.withParameter(e.rc(), n));
        }
    }

    private static void noMoreParams(TpmReader r) throws TpmFormatException {
        if (r.remaining() != 0) {
            throw new TpmFormatException(TpmRc.SIZE);
        }
    }

    private static int startupType(TpmReader r) throws TpmFormatException {
        int t = r.u16();
        if (t != TpmState.SU_CLEAR && t != TpmState.SU_STATE) {
            throw new TpmFormatException(TpmRc.VALUE);
        }
        return t;
    }

    private void dispatch(CommandCode cc, long[] h, TpmReader r, TpmWriter out, int locality)
            throws TpmFormatException {
        switch (cc) {
            case STARTUP -> {
                int type = param(r, 1, TpmEngine::startupType);
                noMoreParams(r);
                startup(type, locality);
            }
            case SHUTDOWN -> {
                int type = param(r, 1, TpmEngine::startupType);
                noMoreParams(r);
                shutdown(type);
            }
            case SELF_TEST -> {
                param(r, 1, rd -> {
                    int v = rd.u8();
                    if (v > 1) {
                        throw new TpmFormatException(TpmRc.VALUE);
                    }
                    return v;
                });
                noMoreParams(r);
            }
            case GET_RANDOM -> {
                int n = param(r, 1, TpmReader::u16);
                noMoreParams(r);
                byte[] b = new byte[Math.min(n, MAX_DIGEST)];
                random.fill(b);
                out.tpm2b(b);
            }
            case STIR_RANDOM -> {
                byte[] data = param(r, 1, rd -> rd.tpm2b(MAX_SYM_DATA));
                noMoreParams(r);
                random.stir(data);
            }
            case GET_CAPABILITY -> {
                long cap = param(r, 1, rd -> {
                    long v = rd.u32();
                    if (v > Capabilities.CAP_ACT && v != 0x100) { // TPM_CAP_Unmarshal
                        throw new TpmFormatException(TpmRc.VALUE);
                    }
                    return v;
                });
                long property = param(r, 2, TpmReader::u32);
                long count = param(r, 3, TpmReader::u32);
                noMoreParams(r);
                getCapability(cap, property, count, out);
            }
            case PCR_READ -> {
                List<PcrSelection> sel = param(r, 1, TpmEngine::pcrSelectionList);
                noMoreParams(r);
                pcrRead(sel, out);
            }
            case PCR_EXTEND -> {
                List<Digest> digests = param(r, 1, TpmEngine::digestValues);
                noMoreParams(r);
                pcrExtend(h[0], digests, locality);
            }
            case PCR_EVENT -> {
                byte[] data = param(r, 1, rd -> rd.tpm2b(MAX_EVENT_DATA));
                noMoreParams(r);
                pcrEvent(h[0], data, locality, out);
            }
            case PCR_RESET -> {
                noMoreParams(r);
                pcrReset((int) h[0], locality);
            }
            case HIERARCHY_CHANGE_AUTH -> {
                byte[] auth = param(r, 1, rd -> rd.tpm2b(MAX_DIGEST));
                noMoreParams(r);
                hierarchyChangeAuth(h[0], stripTrailingZeros(auth));
            }
            case START_AUTH_SESSION -> {
                byte[] nonceCaller = param(r, 1, rd -> rd.tpm2b(MAX_DIGEST));
                byte[] salt = param(r, 2, rd -> rd.tpm2b(512));
                int type = param(r, 3, rd -> {
                    int t = rd.u8();
                    if (t != 0x00 && t != 0x01 && t != 0x03) {
                        throw new TpmFormatException(TpmRc.VALUE);
                    }
                    return t;
                });
                param(r, 4, TpmEngine::symDef);
                HashAlg alg = param(r, 5, TpmEngine::hashAlg);
                noMoreParams(r);
                startAuthSession(nonceCaller, salt, type, alg, out);
            }
            case FLUSH_CONTEXT -> {
                long handle = param(r, 1, rd -> {
                    long c = rd.u32(); // TPMI_DH_CONTEXT: an HMAC or policy session, or a transient object
                    boolean ok = (c >= 0x02000000L && c < 0x02000000L + MAX_ACTIVE_SESSIONS)
                            || (c >= 0x03000000L && c < 0x03000000L + MAX_ACTIVE_SESSIONS)
                            || (c >= 0x80000000L && c < 0x80000000L + MAX_LOADED_OBJECTS);
                    if (!ok) {
                        throw new TpmFormatException(TpmRc.VALUE);
                    }
                    return c;
                });
                noMoreParams(r);
                if (hmacSessions.remove(handle) == null) {
                    throw new TpmFormatException(TpmRc.withParameter(TpmRc.HANDLE, 1));
                }
            }
            case READ_CLOCK -> {
                noMoreParams(r);
                out.u64(timeNow()).u64(clockNow()).u32(st.resetCount).u32(st.restartCount)
                   .u8(st.clockSafe ? 1 : 0);
            }
            default -> throw new IllegalStateException("unhandled " + cc);
        }
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

    private static final int MAX_LOADED_SESSIONS = 3;

    /** Part 3 11.1 TPM2_StartAuthSession, for unbound unsalted HMAC sessions only. */
    private void startAuthSession(byte[] nonceCaller, byte[] salt, int type, HashAlg alg, TpmWriter out)
            throws TpmFormatException {
        if (nonceCaller.length < 16) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SIZE, 1));
        }
        if (salt.length != 0) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 2)); // no tpmKey to decrypt a salt
        }
        if (type != 0x00) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 3)); // policy sessions: not offered
        }
        if (hmacSessions.size() >= MAX_LOADED_SESSIONS) {
            throw new TpmFormatException(TpmRc.SESSION_MEMORY);
        }
        long handle = 0x02000000L;
        while (hmacSessions.containsKey(handle)) {
            handle++;
        }
        byte[] nonceTpm = new byte[alg.digestSize()];
        random.fill(nonceTpm);
        hmacSessions.put(handle, new HmacSession(handle, alg, nonceTpm));
        responseHandle = handle;
        out.tpm2b(nonceTpm);
    }

    /** Part 3 9.3 TPM2_Startup, with the TPM Reset / Restart / Resume rules of Part 1 12.2.6. */
    private void startup(int type, int locality) throws TpmFormatException {
        if (locality != 0 && locality != 3) {
            throw new TpmFormatException(TpmRc.LOCALITY);
        }
        int prev = st.orderlyState;
        boolean locality3 = locality == 3;
        if (type == TpmState.SU_STATE) {
            if (prev != TpmState.SU_STATE) {
                throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 1));
            }
            if (st.savedLocality3 != locality3) {
                throw new TpmFormatException(TpmRc.LOCALITY);
            }
        }
        boolean resume = prev == TpmState.SU_STATE && type == TpmState.SU_STATE;
        hmacSessions.clear();
        boolean restart = prev == TpmState.SU_STATE && type == TpmState.SU_CLEAR;
        if (prev == TpmState.SU_NONE) {
            st.clockSafe = false;
        }
        st.platformAuth = resume ? st.savedPlatformAuth : new byte[0];
        st.pcrCounter = (resume || restart) ? st.savedPcrCounter : 0;
        for (int pcr = 0; pcr < PcrAttributes.COUNT; pcr++) {
            boolean saved = resume && PcrAttributes.stateSaved(pcr);
            if (!saved) {
                pcrChanged(pcr);
            }
            for (HashAlg bank : st.allocated) {
                byte[] v = st.pcrs[bank.ordinal()][pcr];
                if (saved) {
                    System.arraycopy(st.savedPcrs[bank.ordinal()][pcr], 0, v, 0, v.length);
                } else if (PcrAttributes.startsAllOnes(pcr)) {
                    Arrays.fill(v, (byte) 0xFF);
                } else {
                    Arrays.fill(v, (byte) 0);
                    if (pcr == PcrAttributes.HCRTM_PCR) {
                        v[v.length - 1] = (byte) locality;
                    }
                }
            }
        }
        if (resume || restart) {
            st.restartCount = (st.restartCount + 1) & 0xFFFFFFFFL;
        } else {
            st.resetCount = (st.resetCount + 1) & 0xFFFFFFFFL;
            st.restartCount = 0;
        }
        st.prevOrderlyState = prev;
        st.startupLocality3 = locality3;
        st.orderlyState = TpmState.SU_NONE;
        st.started = true;
        dirtyPermanent = true;
        dirtyVolatile = true;
    }

    /** Part 3 9.4 TPM2_Shutdown: STATE saves PCRs 0-15, the update counter and platformAuth. */
    private void shutdown(int type) {
        st.orderlyState = type;
        if (type == TpmState.SU_STATE) {
            for (HashAlg bank : HashAlg.values()) {
                for (int pcr = 0; pcr < 16; pcr++) {
                    System.arraycopy(st.pcrs[bank.ordinal()][pcr], 0, st.savedPcrs[bank.ordinal()][pcr], 0,
                            bank.digestSize());
                }
            }
            st.savedPcrCounter = st.pcrCounter;
            st.savedPlatformAuth = st.platformAuth;
            st.savedLocality3 = st.startupLocality3;
        }
        st.nvClock = clockNow();
        dirtyPermanent = true;
    }

    /** Part 4 PCR.c PCRChanged: every change outside the no-increment group bumps the counter. */
    private void pcrChanged(int pcr) {
        if (!PcrAttributes.noIncrement(pcr)) {
            st.pcrCounter = (st.pcrCounter + 1) & 0xFFFFFFFFL;
        }
    }

    private void extendOne(int pcr, HashAlg alg, byte[] digest) {
        if (!st.allocated.contains(alg)) {
            return;
        }
        byte[] v = st.pcrs[alg.ordinal()][pcr];
        MessageDigest md = alg.digest();
        md.update(v);
        md.update(digest);
        System.arraycopy(md.digest(), 0, v, 0, v.length);
        pcrChanged(pcr);
    }

    private void checkOrderlyFor(int pcr) {
        if (PcrAttributes.stateSaved(pcr)) {
            clearOrderly = true;
        }
    }

    /** Part 3 22.2 TPM2_PCR_Extend. */
    private void pcrExtend(long handle, List<Digest> digests, int locality) throws TpmFormatException {
        if (handle == RH_NULL) {
            return;
        }
        int pcr = (int) handle;
        if (!PcrAttributes.extendAllowed(pcr, locality)) {
            throw new TpmFormatException(TpmRc.LOCALITY);
        }
        checkOrderlyFor(pcr);
        for (Digest d : digests) {
            extendOne(pcr, d.alg(), d.digest());
        }
        dirtyVolatile = true;
    }

    /** Part 3 22.3 TPM2_PCR_Event: hash the event with every implemented hash and extend. */
    private void pcrEvent(long handle, byte[] data, int locality, TpmWriter out) throws TpmFormatException {
        if (handle != RH_NULL) {
            if (!PcrAttributes.extendAllowed((int) handle, locality)) {
                throw new TpmFormatException(TpmRc.LOCALITY);
            }
            checkOrderlyFor((int) handle);
        }
        out.u32(HashAlg.values().length);
        for (HashAlg alg : HashAlg.values()) {
            byte[] digest = alg.digest().digest(data);
            out.u16(alg.algId()).bytes(digest);
            if (handle != RH_NULL) {
                extendOne((int) handle, alg, digest);
            }
        }
        if (handle != RH_NULL) {
            dirtyVolatile = true;
        }
    }

    /** Part 3 22.8 TPM2_PCR_Reset: only the resettable PCRs, at a permitted locality. */
    private void pcrReset(int pcr, int locality) throws TpmFormatException {
        if (!PcrAttributes.resetAllowed(pcr, locality)) {
            throw new TpmFormatException(TpmRc.LOCALITY);
        }
        checkOrderlyFor(pcr);
        for (HashAlg alg : st.allocated) {
            Arrays.fill(st.pcrs[alg.ordinal()][pcr], (byte) 0);
        }
        pcrChanged(pcr);
        dirtyVolatile = true;
    }

    /** Part 3 24.8 TPM2_HierarchyChangeAuth. */
    private void hierarchyChangeAuth(long handle, byte[] auth) {
        if (handle == RH_OWNER) {
            st.ownerAuth = auth;
            dirtyPermanent = true;
        } else if (handle == RH_ENDORSEMENT) {
            st.endorsementAuth = auth;
            dirtyPermanent = true;
        } else if (handle == RH_LOCKOUT) {
            st.lockoutAuth = auth;
            dirtyPermanent = true;
        } else {
            st.platformAuth = auth;
            clearOrderly = true;
            dirtyVolatile = true;
        }
    }

    // ------------------------------------------------------------------ PCR_Read

    /** A TPMS_PCR_SELECTION: bank and 3-byte bitmap. */
    record PcrSelection(int algId, HashAlg alg, byte[] select) { }

    /** A TPMT_HA. */
    record Digest(HashAlg alg, byte[] digest) { }

    private static HashAlg hashAlg(TpmReader r) throws TpmFormatException {
        return HashAlg.byId(r.u16()).orElseThrow(() -> new TpmFormatException(TpmRc.HASH));
    }

    static List<PcrSelection> pcrSelectionList(TpmReader r) throws TpmFormatException {
        long count = r.u32();
        if (count > HashAlg.values().length) {
            throw new TpmFormatException(TpmRc.SIZE);
        }
        List<PcrSelection> out = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            HashAlg alg = hashAlg(r);
            int sizeofSelect = r.u8();
            if (sizeofSelect != 3) { // PCR_SELECT_MIN == PCR_SELECT_MAX == 3
                throw new TpmFormatException(TpmRc.VALUE);
            }
            out.add(new PcrSelection(alg.algId(), alg, r.bytes(3)));
        }
        return out;
    }

    private static List<Digest> digestValues(TpmReader r) throws TpmFormatException {
        long count = r.u32();
        if (count > HashAlg.values().length) {
            throw new TpmFormatException(TpmRc.SIZE);
        }
        List<Digest> out = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            HashAlg alg = hashAlg(r);
            out.add(new Digest(alg, r.bytes(alg.digestSize())));
        }
        return out;
    }

    /** Part 3 22.4 TPM2_PCR_Read; Part 4 PCR.c PCRRead: at most 8 digests, the rest deselected. */
    private void pcrRead(List<PcrSelection> sel, TpmWriter out) {
        List<byte[]> digests = new ArrayList<>(8);
        boolean full = false;
        for (PcrSelection s : sel) {
            byte[] b = s.select();
            if (!st.allocated.contains(s.alg())) {
                Arrays.fill(b, (byte) 0);
            }
            for (int pcr = 0; pcr < PcrAttributes.COUNT; pcr++) {
                if ((b[pcr / 8] & (1 << (pcr % 8))) == 0) {
                    continue;
                }
                if (full || digests.size() == 8) {
                    full = true;
                    b[pcr / 8] &= (byte) ~(1 << (pcr % 8));
                    continue;
                }
                digests.add(st.pcrs[s.alg().ordinal()][pcr]);
            }
        }
        out.u32(st.pcrCounter);
        out.u32(sel.size());
        for (PcrSelection s : sel) {
            out.u16(s.algId()).u8(3).bytes(s.select());
        }
        out.u32(digests.size());
        for (byte[] d : digests) {
            out.tpm2b(d);
        }
    }

    // ------------------------------------------------------------------ GetCapability

    private void getCapability(long cap, long property, long count, TpmWriter out) throws TpmFormatException {
        boolean more;
        TpmWriter data = new TpmWriter(1024);
        switch ((int) Math.min(cap, Integer.MAX_VALUE)) {
            case Capabilities.CAP_ALGS -> {
                // the property is a TPM_ALG_ID
                Page<int[]> page = page(Arrays.asList(Capabilities.ALGS), a -> a[0], property & 0xFFFF,
                        Math.min(count, Capabilities.MAX_CAP_ALGS));
                more = page.more();
                data.u32(page.items().size());
                for (int[] a : page.items()) {
                    data.u16(a[0]).u32(a[1]);
                }
            }
            case Capabilities.CAP_HANDLES -> more = handles(property, count, data);
            case Capabilities.CAP_COMMANDS -> {
                Page<CommandCode> page = page(CommandCode.SORTED, CommandCode::code, property,
                        Math.min(count, Capabilities.MAX_CAP_CC));
                more = page.more();
                data.u32(page.items().size());
                page.items().forEach(c -> data.u32(c.attributes()));
            }
            case Capabilities.CAP_PP_COMMANDS, Capabilities.CAP_AUDIT_COMMANDS -> {
                more = false;
                data.u32(0);
            }
            case Capabilities.CAP_PCRS -> {
                if (property != 0) {
                    throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 2));
                }
                if (count == 0) {
                    more = true;
                    data.u32(0);
                } else {
                    more = false;
                    data.u32(HashAlg.values().length);
                    for (HashAlg h : HashAlg.values()) {
                        int bits = st.allocated.contains(h) ? 0xFF : 0x00;
                        data.u16(h.algId()).u8(3).u8(bits).u8(bits).u8(bits);
                    }
                }
            }
            case Capabilities.CAP_TPM_PROPERTIES -> more = tpmProperties(property, count, data);
            case Capabilities.CAP_PCR_PROPERTIES -> {
                Page<Integer> page = page(Arrays.stream(Capabilities.PCR_PROPERTY_TAGS).boxed().toList(), t -> t,
                        property, Math.min(count, Capabilities.MAX_PCR_PROPERTIES));
                more = page.more();
                data.u32(page.items().size());
                for (int tag : page.items()) {
                    int m = Capabilities.pcrPropertyMask(tag);
                    data.u32(tag).u8(3).u8(m).u8(m >>> 8).u8(m >>> 16);
                }
            }
            case Capabilities.CAP_ECC_CURVES -> {
                // the property is a TPM_ECC_CURVE
                Page<Integer> page = page(Arrays.stream(Capabilities.ECC_CURVES).boxed().toList(), c -> c,
                        property & 0xFFFF, Math.min(count, Capabilities.MAX_ECC_CURVES));
                more = page.more();
                data.u32(page.items().size());
                page.items().forEach(data::u16);
            }
            case Capabilities.CAP_AUTH_POLICIES -> {
                if ((property >>> 24) != 0x40) {
                    throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 2));
                }
                Page<Long> page = page(Arrays.stream(Capabilities.POLICY_HANDLES).boxed().toList(), h -> h, property,
                        Math.min(count, Capabilities.MAX_TAGGED_POLICIES));
                more = page.more();
                data.u32(page.items().size());
                for (long hnd : page.items()) {
                    data.u32(hnd).u16(0x0010); // TPM_ALG_NULL: no policy
                }
            }
            case Capabilities.CAP_ACT -> {
                if (property < RH_ACT_0 || property > RH_ACT_F) {
                    throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 2));
                }
                more = false;
                data.u32(0); // no authenticated countdown timers
            }
            default -> throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 1));
        }
        out.u8(more ? 1 : 0).u32(cap).bytes(data.toByteArray());
    }

    private boolean handles(long property, long count, TpmWriter data) throws TpmFormatException {
        long n = Math.min(count, Capabilities.MAX_CAP_HANDLES);
        Iterable<Long> handles = switch ((int) (property >>> 24)) {
            case 0x00 -> java.util.stream.LongStream.range(0, PcrAttributes.COUNT).boxed().toList();
            case 0x40 -> Arrays.stream(Capabilities.PERMANENT_HANDLES).boxed().toList();
            case 0x02 -> hmacSessions.keySet(); // a TreeMap: in handle order
            case 0x01, 0x03, 0x80, 0x81 -> List.of(); // no NV indices, saved sessions or objects
            default -> throw new TpmFormatException(TpmRc.withParameter(TpmRc.HANDLE, 2));
        };
        Page<Long> page = page(handles, h -> h, property, n);
        data.u32(page.items().size());
        page.items().forEach(data::u32);
        return page.more();
    }

    /** Part 4 PropertyCap.c TPMCapGetProperties: properties of the starting property's group only. */
    private boolean tpmProperties(long property, long count, TpmWriter data) {
        long n = Math.min(count, Capabilities.MAX_TPM_PROPERTIES);
        long start = Math.max(property, Capabilities.PT_FIXED);
        long groupEnd = (start / Capabilities.PT_GROUP + 1) * Capabilities.PT_GROUP;
        List<long[]> all = new ArrayList<>();
        for (int[] p : Capabilities.FIXED) {
            all.add(new long[] {p[0], p[1] & 0xFFFFFFFFL});
        }
        long permanent = 0x400; // tpmGeneratedEPS
        if (st.ownerAuth.length > 0) {
            permanent |= 0x1;
        }
        if (st.endorsementAuth.length > 0) {
            permanent |= 0x2;
        }
        if (st.lockoutAuth.length > 0) {
            permanent |= 0x4;
        }
        long startupClear = 0xF | (st.prevOrderlyState != TpmState.SU_NONE ? 0x80000000L : 0);
        long sessions = hmacSessions.size(); // HR_LOADED, HR_ACTIVE and what remains available
        long[][] var = {
            {0x200, permanent}, {0x201, startupClear}, {0x202, 0}, {0x203, sessions},
            {0x204, MAX_LOADED_SESSIONS - sessions}, {0x205, sessions}, {0x206, MAX_ACTIVE_SESSIONS - sessions},
            {0x207, 3}, {0x208, 0}, {0x209, 0x41}, {0x20a, 0}, {0x20b, 0x19}, {0x20c, 0},
            {0x20d, Capabilities.ECC_CURVES.length}, {0x20e, 0}, {0x20f, 3}, {0x210, 1000},
            {0x211, Capabilities.LOCKOUT_RECOVERY_S}, {0x212, 0}, {0x213, 0}, {0x214, 0},
        };
        all.addAll(List.of(var));
        all.removeIf(p -> p[0] >= groupEnd);
        Page<long[]> page = page(all, p -> p[0], start, n);
        data.u32(page.items().size());
        for (long[] p : page.items()) {
            data.u32(p[0]).u32(p[1]);
        }
        return page.more();
    }

    /** One answer of GetCapability: the entries it returns and whether more remain (moreData). */
    private record Page<T>(List<T> items, boolean more) {
    }

    /**
     * Part 3 30.2 TPM2_GetCapability: from entries in ascending key order, those whose key is at
     * least {@code start}, at most {@code max} of them; moreData when one more was left out.
     */
    private static <T> Page<T> page(Iterable<T> sorted, java.util.function.ToLongFunction<T> key, long start, long max) {
        List<T> items = new ArrayList<>();
        for (T e : sorted) {
            if (key.applyAsLong(e) < start) {
                continue;
            }
            if (items.size() >= max) {
                return new Page<>(items, true);
            }
            items.add(e);
        }
        return new Page<>(items, false);
    }
}
