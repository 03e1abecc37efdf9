package org.qemu.helpers.tpmstub.engine;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * The whole TPM state, split like libtpms into a permanent part (NV: hierarchy auth values,
 * orderly state, counters, Shutdown(STATE) save area) and a volatile part (PCRs, update counter,
 * platform auth, started flag). Each part encodes to a versioned, CRC-protected blob; decoding
 * validates everything and has no side effects.
 */
public final class TpmState {
    public static final int SU_CLEAR = 0x0000;
    public static final int SU_STATE = 0x0001;
    public static final int SU_NONE = 0xFFFF;
    /** libtpms SU_DA_USED_VALUE: not orderly, and a DA-protected authorisation happened (USE_DA_USED). */
    public static final int SU_DA_USED = 0xFFFE;
    /** gp.maxTries and gp.recoveryTime (s), libtpms's defaults (Part 1 19.8). */
    static final int MAX_TRIES = 3;
    static final int RECOVERY_TIME_S = 1000;

    static final int MAX_AUTH = 64;
    private static final int PERMANENT_MAGIC = 0x54535031; // "TSP1"
    private static final int VOLATILE_MAGIC = 0x54535631;  // "TSV1"
    /**
     * Version 2 added the hierarchy seeds and proofs (version 1 blobs still load and get fresh ones);
     * version 3 the persistent objects (version 2 blobs load with none).
     */
    private static final int PERMANENT_VERSION = 3;
    private static final int VOLATILE_VERSION = 1;
    /** Upper bound of either encoded part; a larger blob is refused before parsing. */
    public static final int MAX_BLOB = 16 * 1024;

    // ---- permanent ----
    /** Allocated PCR banks (TPM2_PCR_Allocate result); the others stay implemented but unallocated. */
    final EnumSet<HashAlg> allocated;
    byte[] ownerAuth = new byte[0];
    byte[] endorsementAuth = new byte[0];
    byte[] lockoutAuth = new byte[0];
    boolean lockoutAuthEnabled = true;
    /** Seeds and proofs; set at manufacture by the engine, replaced by {@link #applyPermanent}. */
    Secrets secrets;
    /** NV indices by handle (format version 2), at most {@link NvCommands#MAX_INDICES}. */
    final java.util.TreeMap<Long, NvIndex> nv = new java.util.TreeMap<>();
    /** Persistent objects (TPM2_EvictControl) by handle, at most {@link ContextCommands#MAX_PERSISTENT}. */
    final java.util.TreeMap<Long, TpmObject> persistent = new java.util.TreeMap<>();
    /** Part 4 NV.c maxCount: the largest counter value of any deleted counter index. */
    long nvMaxCount;
    /** gp.failedTries (Part 1 19.8): failed authorisations of DA-protected entities, at most MAX_TRIES. */
    long failedTries;
    /** The TPM clock when failedTries last healed by one (volatile: the self-heal timer restarts). */
    long failedTriesHealedAtClock;
    long lockoutFailedAtClock;
    /** gp.orderlyState: how the previous power cycle ended. A fresh TPM counts as shut down CLEAR. */
    int orderlyState = SU_CLEAR;
    long resetCount;
    long restartCount;
    /** TPM clock (ms) as last stored in NV. */
    long nvClock;
    boolean tpmEstablished;
    // Shutdown(STATE) save area; valid when orderlyState == SU_STATE
    long savedPcrCounter;
    byte[] savedPlatformAuth = new byte[0];
    boolean savedLocality3;
    /** [bank ordinal][pcr 0..15] */
    final byte[][][] savedPcrs;

    // ---- volatile ----
    boolean started;
    /** [bank ordinal][pcr] */
    final byte[][][] pcrs;
    long pcrCounter;
    byte[] platformAuth = new byte[0];
    int prevOrderlyState = SU_NONE;
    boolean startupLocality3;
    boolean clockSafe = true;
    /** Clock (ms) at the moment the volatile state was captured or the TPM was initialised. */
    long clockAtInit;
    /** Time since _TPM_Init (ms) at that moment. */
    long timeAtInit;

    public TpmState(Set<HashAlg> banks) {
        if (banks.isEmpty()) {
            throw new IllegalArgumentException("at least one PCR bank is needed");
        }
        allocated = EnumSet.copyOf(banks);
        pcrs = new byte[HashAlg.values().length][][];
        savedPcrs = new byte[HashAlg.values().length][][];
        for (HashAlg h : HashAlg.values()) {
            pcrs[h.ordinal()] = new byte[PcrAttributes.COUNT][h.digestSize()];
            savedPcrs[h.ordinal()] = new byte[16][h.digestSize()];
        }
    }

    public Set<HashAlg> allocated() {
        return EnumSet.copyOf(allocated);
    }

    public boolean started() {
        return started;
    }

    public long pcrCounter() {
        return pcrCounter;
    }

    public boolean tpmEstablished() {
        return tpmEstablished;
    }

    /** Copy of one PCR, or empty if the bank is not allocated. */
    public byte[] pcr(HashAlg bank, int index) {
        if (!allocated.contains(bank)) {
            return new byte[0];
        }
        return pcrs[bank.ordinal()][index].clone();
    }

    /** True if PCR {@code index} of an allocated {@code bank} holds {@code value} (compares, copies nothing). */
    public boolean pcrEquals(HashAlg bank, int index, byte[] value) {
        return allocated.contains(bank) && java.util.Arrays.equals(pcrs[bank.ordinal()][index], value);
    }

    // ------------------------------------------------------------ encoding

    private static int bankMask(Set<HashAlg> banks) {
        int m = 0;
        for (HashAlg h : banks) {
            m |= 1 << h.ordinal();
        }
        return m;
    }

    private static EnumSet<HashAlg> banksOf(int mask) throws StateFormatException {
        if (mask == 0 || (mask & ~0xF) != 0) {
            throw new StateFormatException("bad PCR bank set 0x" + Integer.toHexString(mask));
        }
        EnumSet<HashAlg> s = EnumSet.noneOf(HashAlg.class);
        for (HashAlg h : HashAlg.values()) {
            if ((mask & (1 << h.ordinal())) != 0) {
                s.add(h);
            }
        }
        return s;
    }

    /** Encodes the permanent part; clockNow is the current TPM clock to store. */
    public byte[] encodePermanent(long clockNow) {
        TpmWriter w = new TpmWriter(2048);
        w.u32(PERMANENT_MAGIC).u32(PERMANENT_VERSION);
        w.u32(bankMask(allocated));
        w.tpm2b(ownerAuth).tpm2b(endorsementAuth).tpm2b(lockoutAuth);
        w.u8(lockoutAuthEnabled ? 1 : 0).u64(lockoutFailedAtClock);
        w.u16(orderlyState).u32(resetCount).u32(restartCount).u64(clockNow);
        w.u8(tpmEstablished ? 1 : 0);
        w.u32(savedPcrCounter).tpm2b(savedPlatformAuth).u8(savedLocality3 ? 1 : 0);
        for (HashAlg h : HashAlg.values()) {
            for (byte[] p : savedPcrs[h.ordinal()]) {
                w.bytes(p);
            }
        }
        for (byte[] secret : secrets.all()) {
            w.bytes(secret);
        }
        w.u64(nvMaxCount).u32(failedTries).u16(nv.size());
        for (NvIndex i : nv.values()) {
            w.u32(i.handle).u16(i.nameAlg.algId()).u32(i.attributes & 0xFFFFFFFFL).tpm2b(i.authPolicy).tpm2b(i.auth)
                    .tpm2b(i.data);
        }
        w.u16(persistent.size());
        for (var e : persistent.entrySet()) {
            w.u32(e.getKey());
            e.getValue().writeTo(w);
        }
        return seal(w);
    }

    /** Encodes the volatile part; timeNow/clockNow are the current TPM time and clock. */
    public byte[] encodeVolatile(long timeNow, long clockNow) {
        return encodeVolatileInto(new TpmWriter(4096 + 256), timeNow, clockNow).toByteArray();
    }

    /** Encodes the sealed volatile part into w (reset first), without allocating. */
    public TpmWriter encodeVolatileInto(TpmWriter w, long timeNow, long clockNow) {
        w.reset();
        w.u32(VOLATILE_MAGIC).u32(VOLATILE_VERSION);
        w.u8(started ? 1 : 0).u32(pcrCounter).tpm2b(platformAuth);
        w.u16(prevOrderlyState).u8(startupLocality3 ? 1 : 0).u8(clockSafe ? 1 : 0);
        w.u64(clockNow).u64(timeNow);
        for (HashAlg h : HashAlg.values()) {
            for (byte[] p : pcrs[h.ordinal()]) {
                w.bytes(p);
            }
        }
        return w.appendCrc32c();
    }

    private static byte[] seal(TpmWriter w) {
        return w.sealWithCrc32c();
    }

    /** Opens a blob after checking length, CRC, magic and that its version is in [minVersion, maxVersion]. */
    private static TpmReader open(byte[] blob, int magic, String what, int minVersion, int maxVersion)
            throws StateFormatException {
        if (blob.length < 12 || blob.length > MAX_BLOB) {
            throw new StateFormatException(what + " blob has a bad length " + blob.length);
        }
        CRC32C crc = new CRC32C();
        crc.update(blob, 0, blob.length - 4);
        int stored = ByteBuffer.wrap(blob, blob.length - 4, 4).getInt();
        if ((int) crc.getValue() != stored) {
            throw new StateFormatException(what + " blob fails its CRC-32C check");
        }
        TpmReader r = new TpmReader(blob, 0, blob.length - 4);
        try {
            if (r.s32() != magic) {
                throw new StateFormatException(what + " blob has a wrong magic");
            }
            long v = r.u32();
            if (v < minVersion || v > maxVersion) {
                throw new StateFormatException(what + " blob version " + v + " is not supported (want "
                        + minVersion + "-" + maxVersion + ")");
            }
        } catch (TpmFormatException e) {
            throw new StateFormatException(what + " blob is truncated");
        }
        return r;
    }

    private static boolean bool(TpmReader r) throws TpmFormatException, StateFormatException {
        int b = r.u8();
        if (b > 1) {
            throw new StateFormatException("bad boolean " + b);
        }
        return b == 1;
    }

    private static int orderly(int v) throws StateFormatException {
        if (v != SU_CLEAR && v != SU_STATE && v != SU_NONE && v != SU_DA_USED) {
            throw new StateFormatException("bad orderly state 0x" + Integer.toHexString(v));
        }
        return v;
    }

    /** The decoded permanent part, applied with {@link #applyPermanent}. */
    public record Permanent(EnumSet<HashAlg> banks, byte[] ownerAuth, byte[] endorsementAuth, byte[] lockoutAuth,
                            boolean lockoutAuthEnabled, long lockoutFailedAtClock, int orderlyState,
                            long resetCount, long restartCount, long clock, boolean tpmEstablished,
                            long savedPcrCounter, byte[] savedPlatformAuth, boolean savedLocality3,
                            byte[][][] savedPcrs, Secrets secrets, List<NvIndex> nv, long nvMaxCount,
                            long failedTries, java.util.SortedMap<Long, TpmObject> persistent) {
        /** Written before version 2: it has no seeds or proofs yet, and gets fresh ones when loaded. */
        public boolean needsSecrets() {
            return secrets == null;
        }
    }

    /**
     * The hierarchy secrets of Part 1 14.3 and 14.4 (Part 4 gp.EPSeed/SPSeed/PPSeed, phProof/shProof/
     * ehProof): seeds for primary objects and proofs for tickets and context integrity, each
     * {@link #SIZE} bytes. They never leave the TPM except in the state blobs.
     */
    public record Secrets(byte[] eps, byte[] sps, byte[] pps, byte[] ehProof, byte[] shProof, byte[] phProof) {
        public static final int SIZE = 64;

        List<byte[]> all() {
            return List.of(eps, sps, pps, ehProof, shProof, phProof);
        }

        static Secrets generate(TpmEngine.RandomSource random) {
            byte[][] b = new byte[6][SIZE];
            for (byte[] x : b) {
                random.fill(x);
            }
            return new Secrets(b[0], b[1], b[2], b[3], b[4], b[5]);
        }

        static Secrets read(TpmReader r) throws TpmFormatException {
            byte[][] b = new byte[6][];
            for (int i = 0; i < b.length; i++) {
                b[i] = r.bytes(SIZE);
            }
            return new Secrets(b[0], b[1], b[2], b[3], b[4], b[5]);
        }
    }

    /** The decoded volatile part, applied with {@link #applyVolatile}. */
    public record Volatile(boolean started, long pcrCounter, byte[] platformAuth, int prevOrderlyState,
                           boolean startupLocality3, boolean clockSafe, long clock, long time,
                           byte[][][] pcrs) { }

    public static Permanent decodePermanent(byte[] blob) throws StateFormatException {
        TpmReader r = open(blob, PERMANENT_MAGIC, "permanent", 1, PERMANENT_VERSION);
        int version = ByteBuffer.wrap(blob, 4, 4).getInt();
        try {
            EnumSet<HashAlg> banks = banksOf(r.s32());
            byte[] o = r.tpm2b(MAX_AUTH);
            byte[] e = r.tpm2b(MAX_AUTH);
            byte[] l = r.tpm2b(MAX_AUTH);
            boolean lae = bool(r);
            long lfc = r.u32() << 32 | r.u32();
            int os = orderly(r.u16());
            long rc = r.u32();
            long rsc = r.u32();
            long clock = r.u32() << 32 | r.u32();
            boolean est = bool(r);
            long spc = r.u32();
            byte[] spa = r.tpm2b(MAX_AUTH);
            boolean sl3 = bool(r);
            byte[][][] sp = new byte[HashAlg.values().length][16][];
            for (HashAlg h : HashAlg.values()) {
                for (int i = 0; i < 16; i++) {
                    sp[h.ordinal()][i] = r.bytes(h.digestSize());
                }
            }
            Secrets secrets = version >= 2 ? Secrets.read(r) : null;
            List<NvIndex> nv = new ArrayList<>();
            long maxCount = 0;
            long tries = 0;
            if (version >= 2) {
                maxCount = r.u32() << 32 | r.u32();
                tries = r.u32();
                if (tries > MAX_TRIES) {
                    throw new StateFormatException("failedTries " + tries + " above maxTries " + MAX_TRIES);
                }
                nv = readNv(r);
            }
            java.util.SortedMap<Long, TpmObject> objects = version >= 3 ? readPersistent(r) : new java.util.TreeMap<>();
            long used = nv.stream().mapToLong(i -> i.data.length).sum()
                    + objects.values().stream().mapToLong(TpmObject::encodedSize).sum();
            if (used > NvCommands.MAX_TOTAL_BYTES) {
                throw new StateFormatException("NV data and persistent objects over " + NvCommands.MAX_TOTAL_BYTES
                        + " bytes");
            }
            if (r.remaining() != 0) {
                throw new StateFormatException("permanent blob has " + r.remaining() + " trailing bytes");
            }
            return new Permanent(banks, o, e, l, lae, lfc, os, rc, rsc, clock, est, spc, spa, sl3, sp, secrets,
                    List.copyOf(nv), maxCount, tries, java.util.Collections.unmodifiableSortedMap(objects));
        } catch (TpmFormatException ex) {
            throw new StateFormatException("permanent blob is truncated or has an oversized field");
        }
    }

    /** The NV indices of a permanent blob, each validated as NV_DefineSpace would have. */
    private static List<NvIndex> readNv(TpmReader r) throws TpmFormatException, StateFormatException {
        int count = r.u16();
        if (count > NvCommands.MAX_INDICES) {
            throw new StateFormatException(count + " NV indices, more than " + NvCommands.MAX_INDICES);
        }
        List<NvIndex> out = new ArrayList<>(count);
        long total = 0;
        long previous = -1;
        for (int k = 0; k < count; k++) {
            long handle = r.u32();
            if ((handle >>> 24) != 0x01 || handle <= previous) {
                throw new StateFormatException("bad or unordered NV index handle 0x" + Long.toHexString(handle));
            }
            previous = handle;
            int algId = r.u16();
            HashAlg alg = HashAlg.byId(algId).orElseThrow(
                    () -> new StateFormatException("NV index nameAlg 0x" + Integer.toHexString(algId)));
            int attrs = r.s32();
            byte[] policy = r.tpm2b(MAX_AUTH);
            byte[] auth = r.tpm2b(MAX_AUTH);
            byte[] data = r.tpm2b(NvCommands.MAX_INDEX_SIZE);
            total += data.length;
            if (total > NvCommands.MAX_TOTAL_BYTES) {
                throw new StateFormatException("NV data over " + NvCommands.MAX_TOTAL_BYTES + " bytes");
            }
            if (NvCommands.checkPublic(alg, attrs & ~NvIndex.WRITTEN, policy, data.length) != 0) {
                throw new StateFormatException("NV index 0x" + Long.toHexString(handle) + " has inconsistent attributes");
            }
            out.add(new NvIndex(handle, alg, attrs, policy, auth, data));
        }
        return out;
    }

    /** The persistent objects of a permanent blob: handles in the persistent range, ascending, each bound. */
    private static java.util.SortedMap<Long, TpmObject> readPersistent(TpmReader r)
            throws TpmFormatException, StateFormatException {
        int count = r.u16();
        if (count > ContextCommands.MAX_PERSISTENT) {
            throw new StateFormatException(count + " persistent objects, more than " + ContextCommands.MAX_PERSISTENT);
        }
        java.util.SortedMap<Long, TpmObject> out = new java.util.TreeMap<>();
        long previous = -1;
        for (int k = 0; k < count; k++) {
            long handle = r.u32();
            if ((handle >>> 24) != 0x81 || handle <= previous) {
                throw new StateFormatException("bad or unordered persistent handle 0x" + Long.toHexString(handle));
            }
            previous = handle;
            try {
                out.put(handle, TpmObject.read(r));
            } catch (TpmFormatException e) {
                throw new StateFormatException("persistent object 0x" + Long.toHexString(handle)
                        + " is malformed or its sensitive area does not match its public area");
            }
        }
        return out;
    }

    /** Bytes of NV space in use: NV index data and persistent objects (bounded by NvCommands.MAX_TOTAL_BYTES). */
    int nvBytesUsed() {
        return nv.values().stream().mapToInt(i -> i.data.length).sum()
                + persistent.values().stream().mapToInt(TpmObject::encodedSize).sum();
    }

    public static Volatile decodeVolatile(byte[] blob) throws StateFormatException {
        TpmReader r = open(blob, VOLATILE_MAGIC, "volatile", VOLATILE_VERSION, VOLATILE_VERSION);
        try {
            boolean st = bool(r);
            long pc = r.u32();
            byte[] pa = r.tpm2b(MAX_AUTH);
            int po = orderly(r.u16());
            boolean l3 = bool(r);
            boolean safe = bool(r);
            long clock = r.u32() << 32 | r.u32();
            long time = r.u32() << 32 | r.u32();
            if (clock < 0 || time < 0) {
                throw new StateFormatException("negative clock or time");
            }
            byte[][][] p = new byte[HashAlg.values().length][PcrAttributes.COUNT][];
            for (HashAlg h : HashAlg.values()) {
                for (int i = 0; i < PcrAttributes.COUNT; i++) {
                    p[h.ordinal()][i] = r.bytes(h.digestSize());
                }
            }
            if (r.remaining() != 0) {
                throw new StateFormatException("volatile blob has " + r.remaining() + " trailing bytes");
            }
            return new Volatile(st, pc, pa, po, l3, safe, clock, time, p);
        } catch (TpmFormatException ex) {
            throw new StateFormatException("volatile blob is truncated or has an oversized field");
        }
    }

    /**
     * Replaces the permanent part (must not fail: the record was validated by decode); a version 1
     * part keeps no secrets, so it gets {@code freshSecrets}.
     */
    void applyPermanent(Permanent p, Secrets freshSecrets) {
        secrets = p.needsSecrets() ? freshSecrets : p.secrets();
        nv.clear();
        for (NvIndex i : p.nv()) {
            nv.put(i.handle, i.copy());
        }
        persistent.clear();
        persistent.putAll(p.persistent());
        nvMaxCount = p.nvMaxCount();
        failedTries = p.failedTries();
        allocated.clear();
        allocated.addAll(p.banks());
        ownerAuth = p.ownerAuth();
        endorsementAuth = p.endorsementAuth();
        lockoutAuth = p.lockoutAuth();
        lockoutAuthEnabled = p.lockoutAuthEnabled();
        lockoutFailedAtClock = p.lockoutFailedAtClock();
        orderlyState = p.orderlyState();
        resetCount = p.resetCount();
        restartCount = p.restartCount();
        nvClock = p.clock();
        tpmEstablished = p.tpmEstablished();
        savedPcrCounter = p.savedPcrCounter();
        savedPlatformAuth = p.savedPlatformAuth();
        savedLocality3 = p.savedLocality3();
        for (HashAlg h : HashAlg.values()) {
            for (int i = 0; i < 16; i++) {
                savedPcrs[h.ordinal()][i] = p.savedPcrs()[h.ordinal()][i].clone();
            }
        }
    }

    void applyVolatile(Volatile v) {
        started = v.started();
        pcrCounter = v.pcrCounter();
        platformAuth = v.platformAuth();
        prevOrderlyState = v.prevOrderlyState();
        startupLocality3 = v.startupLocality3();
        clockSafe = v.clockSafe();
        clockAtInit = v.clock();
        timeAtInit = v.time();
        for (HashAlg h : HashAlg.values()) {
            for (int i = 0; i < PcrAttributes.COUNT; i++) {
                pcrs[h.ordinal()][i] = v.pcrs()[h.ordinal()][i].clone();
            }
        }
    }

    /** Volatile state right after _TPM_Init: not started, PCRs zero. */
    void resetVolatile() {
        started = false;
        pcrCounter = 0;
        platformAuth = new byte[0];
        prevOrderlyState = SU_NONE;
        startupLocality3 = false;
        for (byte[][] bank : pcrs) {
            for (byte[] p : bank) {
                Arrays.fill(p, (byte) 0);
            }
        }
    }

    /** Part 4 NV.h IS_ORDERLY: the previous cycle ended with Shutdown. */
    static boolean isOrderly(int orderly) {
        return orderly < SU_DA_USED;
    }

    static List<HashAlg> implemented() {
        return new ArrayList<>(List.of(HashAlg.values()));
    }
}
