package org.qemu.helpers.tpmstub.device;

import org.freedesktop.dbus.utils.NameableThreadFactory;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.qemu.helpers.tpmstub.engine.HashAlg;
import org.qemu.helpers.tpmstub.engine.StateFormatException;
import org.qemu.helpers.tpmstub.engine.TpmEngine;
import org.qemu.helpers.tpmstub.engine.TpmState;
import org.qemu.helpers.common.health.Health;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.tpmstub.store.StateStore;

/**
 * One TPM: the engine, its persistent state and the swtpm control operations, serialised by
 * this object's monitor. Every state change is written to the store before the response leaves.
 * Control operations return swtpm/TPM 1.2 style result codes (include/swtpm/tpm_ioctl.h).
 */
public final class TpmDevice implements Closeable {
    public static final int TPM_SUCCESS = 0x00;
    public static final int TPM_BAD_PARAMETER = 0x03;
    public static final int TPM_BAD_ORDINAL = 0x0A;
    public static final int TPM_IOERROR = 0x1F;
    public static final int TPM_BAD_LOCALITY = 0x3D;
    public static final int TPM_RETRY = 0x800;
    public static final int MIN_BUFFER = 2808;
    public static final int MAX_BUFFER = TpmEngine.MAX_COMMAND_SIZE;
    public static final int INIT_FLAG_DELETE_VOLATILE = 1;

    /** Observer of changes an operator sees (started, locality, established). */
    public interface Listener {
        void changed();
    }

    private final TpmEngine engine;
    private final StateStore store;
    private final EventLog log;
    private final ScheduledExecutorService syncer;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private volatile Health health = Health.NONE;
    private int locality;
    private int bufferSize = MAX_BUFFER;
    /** Reused for the volatile state stored after each command (no per-command allocation). */
    private final org.qemu.helpers.tpmstub.engine.TpmWriter scratch = new org.qemu.helpers.tpmstub.engine.TpmWriter(
            TpmState.MAX_BLOB);
    private boolean lastStarted;
    /** What the bus reads without the lock (see DeviceView); replaced under the lock. */
    private volatile DeviceView view;

    private TpmDevice(TpmEngine engine, StateStore store, EventLog log) {
        this.engine = engine;
        this.store = store;
        this.log = log;
        this.syncer = Executors.newSingleThreadScheduledExecutor(new NameableThreadFactory("tpm-state-sync-", true));
        syncer.scheduleWithFixedDelay(this::syncQuietly, 1, 1, TimeUnit.SECONDS);
    }

    /** A TPM whose banks are refused when they differ from an existing state. */
    public static final class BanksMismatchException extends Exception {
        public BanksMismatchException(String message) {
            super(message);
        }
    }

    /**
     * Opens the TPM kept in {@code store}: resumes the stored permanent and running state, or
     * manufactures a new TPM with {@code banks} allocated (running, not yet started).
     */
    public static TpmDevice open(StateStore store, Set<HashAlg> banks, EventLog log)
            throws IOException, StateFormatException, BanksMismatchException {
        SecureRandom rng = new SecureRandom();
        TpmEngine.RandomSource random = new TpmEngine.RandomSource() {
            @Override
            public void fill(byte[] out) {
                rng.nextBytes(out);
            }

            @Override
            public void stir(byte[] entropy) {
                rng.setSeed(entropy);
            }
        };
        long base = System.nanoTime();
        TpmEngine engine = new TpmEngine(banks, () -> (System.nanoTime() - base) / 1_000_000L, random);
        Optional<byte[]> perm = store.loadPermanent();
        if (perm.isPresent()) {
            TpmState.Permanent p = TpmState.decodePermanent(perm.get());
            if (!p.banks().equals(banks)) {
                throw new BanksMismatchException("the TPM state in " + store.dir() + " has PCR banks " + names(p.banks())
                        + " but --banks asks for " + names(banks) + "; use matching --banks or remove that state");
            }
            TpmState.Volatile v = null;
            Optional<byte[]> live = store.loadLive();
            if (live.isPresent()) {
                try {
                    v = TpmState.decodeVolatile(live.get());
                } catch (StateFormatException e) {
                    log.warn("state-volatile-unreadable", "reason", e.getMessage());
                }
            }
            engine.load(p, v);
            if (p.needsSecrets()) {
                // a version 1 state: its fresh seeds and proofs must be kept before anything uses them
                store.savePermanent(engine.encodePermanent());
                log.info("state-upgraded", "dir", store.dir(), "permanent_version", 2);
            }
            log.info("state-resumed", "dir", store.dir(), "started", engine.state().started(),
                    "pcr_counter", engine.state().pcrCounter());
        } else {
            store.savePermanent(engine.encodePermanent());
            store.saveLive(engine.encodeVolatile());
            store.syncLive();
            log.info("state-manufactured", "dir", store.dir(), "banks", names(banks));
        }
        TpmDevice d = new TpmDevice(engine, store, log);
        synchronized (d) {
            d.lastStarted = engine.state().started();
            d.publish();
        }
        return d;
    }

    static String names(Set<HashAlg> banks) {
        return String.join(",", banks.stream().map(HashAlg::bankName).toList());
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    /** The degraded conditions: the state cannot be stored (commands that change it fail) or synced. */
    public static final String STORE_CONDITION = "state-store";
    public static final String SYNC_CONDITION = "state-sync";

    /** Told while the TPM state cannot be stored or synced, and when it can again. */
    public void setHealth(Health health) {
        this.health = health;
    }

    private void notifyListeners() {
        for (Listener l : listeners) {
            l.changed();
        }
    }

    private void syncQuietly() {
        try {
            store.syncLive();
            health.recovered(SYNC_CONDITION);
        } catch (IOException e) {
            log.warn("state-sync-failed", "reason", e.getMessage());
            health.degraded(SYNC_CONDITION, "the TPM state in " + store.dir() + " cannot be synced (" + e.getMessage()
                    + "); a crash may lose the running state");
        }
    }

    private void persist(boolean permanent, boolean vol) {
        try {
            if (permanent) {
                store.savePermanent(engine.encodePermanent());
            }
            if (vol || permanent) {
                engine.encodeVolatileInto(scratch);
                store.saveLive(scratch.buffer(), scratch.length());
            }
            if (permanent || vol) {
                health.recovered(STORE_CONDITION);
            }
        } catch (IOException e) {
            health.degraded(STORE_CONDITION, "the TPM state cannot be stored in " + store.dir() + " (" + e.getMessage()
                    + "); commands that change it fail");
            throw new UncheckedIOException("cannot persist TPM state in " + store.dir(), e);
        }
    }

    /** Executes a TPM command at the current locality; the state is stored before this returns. */
    public byte[] execute(byte[] command) {
        boolean changed;
        byte[] resp;
        synchronized (this) {
            TpmEngine.Result r = engine.execute(command, locality);
            persist(r.permanentChanged(), r.volatileChanged());
            resp = r.response();
            changed = engine.state().started() != lastStarted;
            lastStarted = engine.state().started();
            if (r.permanentChanged() || r.volatileChanged() || changed) {
                publish();
            }
        }
        if (changed) {
            notifyListeners();
        }
        return resp;
    }

    // ------------------------------------------------------------------ control channel operations

    public synchronized boolean running() {
        return engine.running();
    }

    /** CMD_INIT: _TPM_Init, resuming a saved volatile state if one is stored. */
    public int init(long flags) {
        synchronized (this) {
            try {
                TpmState.Volatile v = null;
                Optional<byte[]> saved = store.loadSaved();
                if (saved.isPresent()) {
                    try {
                        v = TpmState.decodeVolatile(saved.get());
                    } catch (StateFormatException e) {
                        log.warn("saved-volatile-refused", "reason", e.getMessage());
                        return TPM_BAD_PARAMETER;
                    }
                    if ((flags & INIT_FLAG_DELETE_VOLATILE) != 0) {
                        store.deleteSaved();
                    }
                }
                engine.init(v);
                persist(true, true);
                store.syncLive();
                lastStarted = engine.state().started();
                publish();
                log.info("tpm-init", "flags", flags, "resumed", v != null);
            } catch (IOException e) {
                log.warn("tpm-init-failed", "reason", e.getMessage());
                return TPM_IOERROR;
            }
        }
        notifyListeners();
        return TPM_SUCCESS;
    }

    /** CMD_STOP / CMD_SHUTDOWN: the TPM stops answering until CMD_INIT; state is synced. */
    public int stop(String why) {
        synchronized (this) {
            engine.stop();
            persist(true, true);
            syncQuietly();
            lastStarted = false;
            publish();
            log.info("tpm-stop", "by", why);
        }
        notifyListeners();
        return TPM_SUCCESS;
    }

    public synchronized int locality() {
        return locality;
    }

    /** CMD_SET_LOCALITY. */
    public int setLocality(int loc) {
        synchronized (this) {
            if (loc > 4 || loc < 0) {
                return TPM_BAD_LOCALITY;
            }
            locality = loc;
            publish();
        }
        notifyListeners();
        return TPM_SUCCESS;
    }

    public synchronized boolean established() {
        return engine.state().tpmEstablished();
    }

    /** CMD_RESET_TPMESTABLISHED: only from locality 3 or 4 (PC Client PTP, TPM_ACCESS.tpmEstablishment). */
    public int resetEstablished(int loc) {
        synchronized (this) {
            if (!engine.running()) {
                return TPM_BAD_ORDINAL;
            }
            if (loc > 4 || loc < 3) {
                return TPM_BAD_LOCALITY;
            }
            if (engine.resetEstablished()) {
                persist(true, false);
                publish();
            }
        }
        notifyListeners();
        return TPM_SUCCESS;
    }

    /** CMD_HASH_START: _TPM_Hash_Start (a DRTM or H-CRTM event sequence; sets TPM established). */
    public int hashStart() {
        return indication(engine::hashStart);
    }

    /** Runs a platform indication on a running TPM and stores what it changed before acknowledging. */
    private int indication(java.util.function.Supplier<TpmEngine.StateChange> action) {
        synchronized (this) {
            if (!engine.running()) {
                return TPM_BAD_ORDINAL;
            }
            TpmEngine.StateChange c = action.get();
            persist(c.permanentChanged(), c.volatileChanged());
            publish();
        }
        notifyListeners();
        return TPM_SUCCESS;
    }

    /** CMD_HASH_DATA: _TPM_Hash_Data (ignored without a started sequence, as libtpms). */
    public synchronized int hashData(byte[] data, int off, int len) {
        if (!engine.running()) {
            return TPM_BAD_ORDINAL;
        }
        engine.hashData(data, off, len);
        return TPM_SUCCESS;
    }

    /** CMD_HASH_END: _TPM_Hash_End extends PCR 17 (after Startup) or PCR 0 (before). */
    public int hashEnd() {
        return indication(engine::hashEnd);
    }

    /** CMD_STORE_VOLATILE: keep the volatile state for the next CMD_INIT. */
    public synchronized int storeVolatile() {
        if (!engine.running()) {
            return TPM_BAD_ORDINAL;
        }
        try {
            store.saveSaved(engine.encodeVolatile());
            store.syncLive();
            return TPM_SUCCESS;
        } catch (IOException e) {
            log.warn("store-volatile-failed", "reason", e.getMessage());
            return TPM_IOERROR;
        }
    }

    /** A state blob for CMD_GET_STATEBLOB: result code and data. */
    public record Blob(int result, byte[] data) { }

    /** CMD_GET_STATEBLOB: type 1 permanent, 2 volatile, 3 (savestate) is never kept: TPM_RETRY. */
    public synchronized Blob getStateBlob(int type) {
        if (!engine.running()) {
            return new Blob(TPM_BAD_ORDINAL, new byte[0]);
        }
        return switch (type) {
            case 1 -> new Blob(TPM_SUCCESS, engine.encodePermanent());
            case 2 -> new Blob(TPM_SUCCESS, engine.encodeVolatile());
            default -> new Blob(TPM_RETRY, new byte[0]);
        };
    }

    /** The state blob of a type even while the TPM is stopped (bus VMState1 Save). */
    public synchronized Blob getStateBlobAlways(int type) {
        return new Blob(TPM_SUCCESS, type == 1 ? engine.encodePermanent() : engine.encodeVolatile());
    }

    /** Replaces the whole state with validated parts (bus VMState1 Load); the TPM then runs. */
    public void load(TpmState.Permanent p, TpmState.Volatile v) {
        synchronized (this) {
            engine.load(p, v);
            persist(true, true);
            syncQuietly();
            lastStarted = engine.state().started();
            publish();
            log.info("state-loaded", "started", lastStarted, "pcr_counter", engine.state().pcrCounter());
        }
        notifyListeners();
    }

    /** CMD_SET_STATEBLOB (TPM stopped): validate fully, then store; a bad blob changes nothing. */
    public synchronized int setStateBlob(int type, byte[] blob) {
        if (engine.running()) {
            return TPM_BAD_ORDINAL;
        }
        try {
            switch (type) {
                case 1 -> {
                    TpmState.Permanent p = TpmState.decodePermanent(blob);
                    engine.loadPermanent(p);
                    // a version 1 blob got fresh seeds and proofs: store them, not the old blob
                    store.savePermanent(p.needsSecrets() ? engine.encodePermanent() : blob);
                }
                case 2 -> {
                    TpmState.decodeVolatile(blob);
                    store.saveSaved(blob);
                }
                case 3 -> { } // no savestate blob is ever produced; accept and ignore
                default -> {
                    return TPM_BAD_PARAMETER;
                }
            }
            publish();
            log.info("state-blob-set", "type", type, "bytes", blob.length);
            return TPM_SUCCESS;
        } catch (StateFormatException e) {
            log.warn("state-blob-refused", "type", type, "reason", e.getMessage());
            return TPM_BAD_PARAMETER;
        } catch (IOException e) {
            log.warn("state-blob-failed", "type", type, "reason", e.getMessage());
            return TPM_IOERROR;
        }
    }

    /** Result of CMD_SET_BUFFERSIZE. */
    public record BufferSize(int result, int size, int min, int max) { }

    /** CMD_SET_BUFFERSIZE: 0 queries; a new size only while stopped; clamped to [MIN_BUFFER, MAX_BUFFER]. */
    public synchronized BufferSize setBufferSize(long requested) {
        if (requested > 0 && engine.running()) {
            return new BufferSize(TPM_BAD_ORDINAL, 0, 0, 0);
        }
        if (requested > 0) {
            bufferSize = (int) Math.max(MIN_BUFFER, Math.min(MAX_BUFFER, requested));
        }
        return new BufferSize(TPM_SUCCESS, bufferSize, MIN_BUFFER, MAX_BUFFER);
    }

    public synchronized int bufferSize() {
        return bufferSize;
    }

    /** CMD_GET_INFO: JSON like TPMLIB_GetInfo (flag 1 specification, flag 2 attributes). */
    public static byte[] info(long flags) {
        StringBuilder sb = new StringBuilder("{");
        if ((flags & 1) != 0) {
            sb.append("\"TPMSpecification\":{\"family\":\"2.0\",\"level\":0,\"revision\":164}");
        }
        if ((flags & 2) != 0) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append("\"TPMAttributes\":{\"manufacturer\":\"id:00001014\",\"version\":\"id:20191023\","
                    + "\"model\":\"qemu-tpm-stub\"}");
        }
        return sb.append('}').toString().getBytes(StandardCharsets.US_ASCII);
    }

    // ------------------------------------------------------------------ operator view

    /** Snapshot for the bus: started, locality, established, allocated banks. */
    public record Status(boolean running, boolean started, int locality, boolean established, List<String> banks) { }

    /** The status as of the last completed operation (no waiting: see DeviceView). */
    public Status status() {
        return view.status();
    }

    /** A PCR value as of the last completed command (no command, no waiting), empty if the bank is not allocated. */
    public byte[] pcr(HashAlg bank, int index) {
        return view.pcr(bank, index);
    }

    /** Status and PCRs as of the last completed operation, read together (no waiting: see DeviceView). */
    public DeviceView view() {
        return view;
    }

    /** Publishes the state as it is now (holding the lock, after the change was stored). */
    private void publish() {
        Status s = new Status(engine.running(), engine.running() && engine.state().started(), locality,
                engine.state().tpmEstablished(),
                engine.state().allocated().stream().map(HashAlg::bankName).toList());
        view = DeviceView.of(s, engine.state(), view);
    }

    @Override
    public void close() throws IOException {
        syncer.shutdownNow();
        synchronized (this) {
            persist(true, true);
            store.close();
        }
    }
}
