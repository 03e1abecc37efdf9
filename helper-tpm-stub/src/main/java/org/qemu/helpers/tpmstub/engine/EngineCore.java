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
    /** Loaded HMAC sessions (volatile, lost at _TPM_Init and TPM Reset; never saved); a TreeMap: handle order. */
    final Map<Long, Authorisation.HmacSession> hmacSessions = new TreeMap<>();
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
    }

    /** Flushes everything volatile that is loaded (sessions, objects): _TPM_Init, Startup, load. */
    void flushLoaded() {
        hmacSessions.clear();
        objects.clear();
        drtmHandle = -1;
    }

    /** The Name of an entity for cpHash (Part 1 16): a PCR or permanent handle is its own Name. */
    byte[] name(long handle) {
        if (ObjectSlots.isTransient(handle)) {
            LoadedObject o = objects.get(handle);
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
