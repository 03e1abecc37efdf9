package org.qemu.helpers.tpmstub.engine;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * What every command group shares while one command runs: the TPM state, the clock, the random
 * source, the loaded sessions, and what the command changed (to persist before the reply). No I/O.
 */
final class EngineCore {
    static final int CLOCK_UPDATE_MS = 4096;

    final TpmState st;
    final TpmEngine.RandomSource random;
    private final LongSupplier millis;
    /**
     * Started HMAC and policy sessions, loaded or saved (ContextSave), by handle; volatile, lost at
     * _TPM_Init and Startup, never in the state blobs. A TreeMap: handle order.
     */
    final Map<Long, Authorisation.AuthSession> sessions = new TreeMap<>();
    /**
     * The next context's sequence number (Part 1 30.2), counting up from a random start so that two
     * helper runs never encrypt two contexts under the same key and IV.
     */
    long contextSequence;
    /** The last primary objects made (CreatePrimary, CreateLoaded under a hierarchy). */
    final PrimaryCache primaries = new PrimaryCache();
    /** Transient objects: sequence objects so far. Lost at _TPM_Init and Startup, like sessions. */
    final ObjectSlots objects = new ObjectSlots();
    /** The _TPM_Hash_Start sequence object (libtpms g_DRTMHandle), or -1. */
    long drtmHandle = -1;
    /** An H-CRTM event happened before Startup (libtpms g_DrtmPreStartup): Startup keeps PCR 0. */
    boolean drtmPreStartup;
    /** libtpms g_daUsed: a DA-protected authorisation was already admitted since Startup. */
    boolean daUsed;
    long initMillis;
    boolean running;
    boolean dirtyPermanent;
    boolean dirtyVolatile;
    /** The command changed state that an orderly shutdown would have saved (Part 1 36.8 orderly). */
    boolean clearOrderly;
    /** The handle a command returns in the response handle area, or -1. */
    long responseHandle;

    EngineCore(TpmState st, LongSupplier millis, TpmEngine.RandomSource random) {
        this.st = st;
        this.millis = millis;
        this.random = random;
        this.initMillis = millis.getAsLong();
        this.running = true;
        byte[] start = new byte[6];
        random.fill(start);
        this.contextSequence = new java.math.BigInteger(1, start).longValue();
    }

    /** Sessions that are loaded (not saved by ContextSave). */
    int loadedSessions() {
        int n = 0;
        for (Authorisation.AuthSession s : sessions.values()) {
            if (!s.saved()) {
                n++;
            }
        }
        return n;
    }

    /** TPMI_DH_OBJECT (Part 2 9.3): a transient object slot or a persistent handle, else TPM_RC_VALUE. */
    static long objectHandle(long h) throws TpmFormatException {
        int type = (int) (h >>> 24);
        if ((type == 0x80 && h < ObjectSlots.TRANSIENT_FIRST + ObjectSlots.MAX_LOADED_OBJECTS) || type == 0x81) {
            return h;
        }
        throw new TpmFormatException(TpmRc.VALUE);
    }

    /**
     * TPMI_DH_ENTITY as far as entities exist here: the hierarchies and lockout, objects, NV indices
     * and PCRs (Part 2 9.6), else TPM_RC_VALUE.
     */
    static long entityHandle(long h) throws TpmFormatException {
        int type = (int) (h >>> 24);
        boolean ok = h == TpmEngine.RH_OWNER || h == TpmEngine.RH_ENDORSEMENT || h == TpmEngine.RH_PLATFORM
                || h == TpmEngine.RH_LOCKOUT || type == 0x80 || type == 0x81 || type == 0x01
                || h < PcrAttributes.COUNT;
        if (!ok) {
            throw new TpmFormatException(TpmRc.VALUE);
        }
        return h;
    }

    /** Part 4 Entity.c EntityGetLoadStatus for an entity: an object must be loaded, an NV index defined. */
    void checkEntityLoaded(long h) throws TpmFormatException {
        int type = (int) (h >>> 24);
        if (type == 0x80 || type == 0x81) {
            checkObjectLoaded(h);
        } else if (type == 0x01 && !st.nv.containsKey(h)) {
            throw new TpmFormatException(TpmRc.HANDLE);
        }
    }

    /**
     * Part 4 Entity.c EntityGetLoadStatus for an object handle: a transient one must be loaded
     * (TPM_RC_REFERENCE_H0); a persistent one needs a free slot first (libtpms ObjectLoadEvict copies
     * it into one for the command: TPM_RC_OBJECT_MEMORY), then must exist (TPM_RC_HANDLE).
     */
    void checkObjectLoaded(long h) throws TpmFormatException {
        if (ObjectSlots.isTransient(h)) {
            if (objects.get(h) == null) {
                throw new TpmFormatException(TpmRc.REFERENCE_H0);
            }
            return;
        }
        if (objects.size() == ObjectSlots.MAX_LOADED_OBJECTS) {
            throw new TpmFormatException(TpmRc.OBJECT_MEMORY);
        }
        if (!st.persistent.containsKey(h)) {
            throw new TpmFormatException(TpmRc.HANDLE);
        }
    }

    /** The loaded (transient) or persistent object at {@code h}, or null. */
    LoadedObject loaded(long h) {
        return ObjectSlots.isTransient(h) ? objects.get(h) : st.persistent.get(h);
    }

    /**
     * The key or sealed object at a handle that {@link #checkObjectLoaded} admitted, or TPM_RC_TYPE for
     * handle {@code n} when it is a sequence object.
     */
    TpmObject object(long h, int n) throws TpmFormatException {
        if (loaded(h) instanceof TpmObject o) {
            return o;
        }
        throw new TpmFormatException(TpmRc.withHandle(TpmRc.TYPE, n));
    }

    /**
     * The primary seed of a hierarchy (Part 1 14.3): EPS, SPS, PPS from the permanent state; the NULL
     * hierarchy's seed is KDFa(SHA-256, PPS, "NULL SEED", resetCount), new at every TPM Reset.
     */
    byte[] seed(long hierarchy) {
        if (hierarchy == TpmEngine.RH_OWNER) {
            return st.secrets.sps();
        } else if (hierarchy == TpmEngine.RH_ENDORSEMENT) {
            return st.secrets.eps();
        } else if (hierarchy == TpmEngine.RH_PLATFORM) {
            return st.secrets.pps();
        }
        return Crypto.kdfa(HashAlg.SHA256, st.secrets.pps(), "NULL SEED", Params.u32Bytes(st.resetCount), null,
                TpmState.Secrets.SIZE * 8);
    }

    /** The proof that keys a context's integrity (Part 1 30.2); the NULL one changes at every TPM Reset. */
    byte[] contextProof(long hierarchy) {
        byte[] p = proof(hierarchy);
        return p != null ? p : Crypto.kdfa(HashAlg.SHA256, st.secrets.phProof(), "NULL PROOF",
                Params.u32Bytes(st.resetCount), null, TpmState.Secrets.SIZE * 8);
    }

    /** Flushes everything volatile that is loaded (sessions, objects): _TPM_Init, Startup, load. */
    void flushLoaded() {
        sessions.clear();
        objects.clear();
        drtmHandle = -1;
    }

    /** The Name of an entity for cpHash (Part 1 16): a PCR or permanent handle is its own Name. */
    byte[] name(long handle) {
        if (ObjectSlots.isTransient(handle) || (handle >>> 24) == 0x81) {
            LoadedObject o = loaded(handle);
            return o == null ? new byte[0] : o.name();
        }
        if (NvCommands.isNvHandle(handle)) {
            NvIndex i = st.nv.get(handle);
            return i == null ? new byte[0] : i.name();
        }
        return Params.u32Bytes(handle);
    }

    /** The proof of a hierarchy (Part 1 14.4), the key of its tickets; null for TPM_RH_NULL. */
    byte[] proof(long hierarchy) {
        if (hierarchy == TpmEngine.RH_OWNER) {
            return st.secrets.shProof();
        } else if (hierarchy == TpmEngine.RH_ENDORSEMENT) {
            return st.secrets.ehProof();
        } else if (hierarchy == TpmEngine.RH_PLATFORM) {
            return st.secrets.phProof();
        }
        return null;
    }

    long millis() {
        return millis.getAsLong();
    }

    /** TPM clock in ms: advances while the engine exists and persists across init. */
    long clockNow() {
        return running ? st.clockAtInit + (millis.getAsLong() - initMillis) : st.nvClock;
    }

    long timeNow() {
        return st.timeAtInit + (millis.getAsLong() - initMillis);
    }

    /** Starts one command: nothing changed yet. */
    void begin() {
        dirtyPermanent = false;
        dirtyVolatile = false;
        clearOrderly = false;
        responseHandle = -1;
    }

    /** Part 1 19.8.4 lockout recovery and Part 1 36.3 clockSafe, checked before each command. */
    void selfHeal() {
        if (!st.lockoutAuthEnabled
                && clockNow() - st.lockoutFailedAtClock >= Capabilities.LOCKOUT_RECOVERY_S * 1000L) {
            st.lockoutAuthEnabled = true;
            dirtyPermanent = true;
        }
        // Part 1 19.8.3 self-healing: one failure forgiven per recoveryTime of TPM time
        if (st.failedTries > 0 && clockNow() - st.failedTriesHealedAtClock >= TpmState.RECOVERY_TIME_S * 1000L) {
            st.failedTries--;
            st.failedTriesHealedAtClock = clockNow();
            dirtyPermanent = true;
        }
        if (!st.clockSafe && clockNow() - st.clockAtInit >= CLOCK_UPDATE_MS) {
            st.clockSafe = true;
        }
    }
}
