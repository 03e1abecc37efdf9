package org.qemu.helpers.slirpdhcp.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.zip.CRC32C;
import org.qemu.helpers.common.store.AtomicFiles;
import org.qemu.helpers.common.store.WriteOrder;
import org.qemu.helpers.slirpdhcp.engine.MalformedException;
import org.qemu.helpers.slirpdhcp.engine.NetState;
import org.qemu.helpers.slirpdhcp.engine.StateChange;
import org.qemu.helpers.slirpdhcp.engine.WireReader;
import org.qemu.helpers.common.log.EventLog;

/**
 * Durable lease state: a snapshot file written atomically (temp, fsync, rename, fsync dir) plus an append-only
 * journal of changes since that snapshot. Each journal record carries a CRC-32C; a torn tail after a crash is cut
 * off on open. Appends and fsyncs are separate so callers can group several changes under one fsync (group
 * commit); {@link #sync(long)} returns once the given append is on disk. The journal is folded into a fresh
 * snapshot when it grows past a bound, under a new generation number so that a crash between the two renames is
 * harmless (a journal of an older generation is ignored).
 */
public final class LeaseStore implements AutoCloseable {
    static final int SNAP_MAGIC = 0x53445331; // "SDS1"
    static final int JOURNAL_MAGIC = 0x53444a31; // "SDJ1"
    static final int MAX_RECORD = 4096;
    static final int JOURNAL_HEADER = 12;

    private final Path snapshotPath;
    private final Path journalPath;
    private final Path dir;
    private final long compactBytes;
    private final EventLog log;
    private final WriteOrder order;
    private final Object syncLock = new Object();
    private FileChannel journal;
    private long generation;
    private long appendSeq;
    private final java.util.concurrent.atomic.AtomicLong syncedSeq = new java.util.concurrent.atomic.AtomicLong();
    private long journalSize;
    private NetState recovered;

    private LeaseStore(Path dir, long compactBytes, EventLog log, WriteOrder order) {
        this.dir = dir;
        this.order = order;
        this.snapshotPath = dir.resolve("leases.snapshot");
        this.journalPath = dir.resolve("leases.journal");
        this.compactBytes = compactBytes;
        this.log = log;
    }

    /** Opens (or creates) the store in {@code dir} and recovers the state; see {@link #recovered()}. */
    public static LeaseStore open(Path dir, long compactBytes, EventLog log) throws IOException {
        return open(dir, compactBytes, log, WriteOrder.NONE);
    }

    /** As {@link #open(Path, long, Consumer)}, reporting each append's write and force to {@code order}. */
    public static LeaseStore open(Path dir, long compactBytes, EventLog log, WriteOrder order)
            throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.cleanStaleTemps(dir);
        LeaseStore s = new LeaseStore(dir, compactBytes, log, order);
        s.recover();
        return s;
    }

    public static LeaseStore open(Path dir, EventLog log) throws IOException {
        return open(dir, 8L << 20, log);
    }

    /** Where the store reports its steps; the caller reports the replies that depend on them. */
    public WriteOrder order() {
        return order;
    }

    /** The state found on disk when the store was opened. */
    public NetState recovered() {
        return recovered;
    }

    private void recover() throws IOException {
        NetState base = NetState.empty();
        generation = 0;
        try {
            byte[] snap = Files.readAllBytes(snapshotPath);
            WireReader r = new WireReader(snap);
            if (r.u32("snapshot magic") != SNAP_MAGIC) {
                throw new MalformedException("not a lease snapshot");
            }
            generation = StateCodec.u64(r, "generation");
            int crc = r.u32("crc");
            byte[] body = r.rest();
            if (crc32c(body, 0, body.length) != crc) {
                throw new MalformedException("snapshot CRC mismatch");
            }
            base = StateCodec.decodeState(body);
        } catch (NoSuchFileException e) {
            // first start
        } catch (MalformedException e) {
            throw new IOException(snapshotPath + " is corrupt (" + e.getMessage()
                    + "); move it away to start with no leases", e);
        }
        StateCodec.StateImage img = new StateCodec.StateImage(base);
        int replayed = 0;
        boolean journalUsable = false;
        if (Files.exists(journalPath)) {
            byte[] j = Files.readAllBytes(journalPath);
            WireReader r = new WireReader(j);
            long validEnd = 0;
            try {
                if (r.u32("journal magic") == JOURNAL_MAGIC && StateCodec.u64(r, "generation") == generation) {
                    journalUsable = true;
                    validEnd = r.position();
                    while (r.remaining() > 0) {
                        int len = r.u32("record length");
                        int crc = r.u32("record crc");
                        if (len <= 0 || len > MAX_RECORD) {
                            throw new MalformedException("record length " + len);
                        }
                        byte[] rec = r.bytes(len, "record");
                        if (crc32c(rec, 0, rec.length) != crc) {
                            throw new MalformedException("record CRC mismatch");
                        }
                        StateCodec.apply(img, StateCodec.decodeChange(rec));
                        replayed++;
                        validEnd = r.position();
                    }
                }
            } catch (MalformedException e) {
                log.warn("journal_tail_dropped", "path", journalPath, "valid_bytes", validEnd, "total_bytes", j.length,
                        "reason", e.getMessage());
            }
            if (journalUsable) {
                journal = FileChannel.open(journalPath, StandardOpenOption.WRITE);
                journal.truncate(validEnd);
                journal.position(validEnd);
                journal.force(true);
                journalSize = validEnd;
            }
        }
        if (!journalUsable) {
            newJournal(generation);
        }
        recovered = img.toState();
        log.info("leases_recovered", "generation", generation, "journal_records", replayed, "leases",
                recovered.leases().size(), "statics", recovered.statics().size(), "hosts", recovered.hosts().size());
    }

    private void newJournal(long gen) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(JOURNAL_HEADER);
        h.putInt(JOURNAL_MAGIC).putLong(gen).flip();
        Path tmp = dir.resolve(AtomicFiles.TEMP_MARK + "journal");
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (h.hasRemaining()) {
                c.write(h);
            }
            c.force(true);
        }
        Files.move(tmp, journalPath, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        AtomicFiles.fsyncDirectory(dir);
        if (journal != null) {
            journal.close();
        }
        journal = FileChannel.open(journalPath, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        journalSize = JOURNAL_HEADER;
    }

    /**
     * Appends changes to the journal (not yet durable) and returns a sequence number for {@link #sync(long)}. When
     * the journal is past its bound it is folded into a snapshot of {@code current} (which must already include
     * these changes), which is durable at once.
     */
    public synchronized long append(List<StateChange> changes, Supplier<NetState> current) throws IOException {
        if (changes.isEmpty()) {
            return appendSeq;
        }
        int total = 0;
        byte[][] recs = new byte[changes.size()][];
        for (int i = 0; i < recs.length; i++) {
            recs[i] = StateCodec.encodeChange(changes.get(i));
            total += 8 + recs[i].length;
        }
        ByteBuffer buf = ByteBuffer.allocate(total);
        for (byte[] rec : recs) {
            buf.putInt(rec.length).putInt(crc32c(rec, 0, rec.length)).put(rec);
        }
        buf.flip();
        try {
            while (buf.hasRemaining()) {
                journal.write(buf);
            }
        } catch (IOException e) {
            throw torn(e);
        }
        journalSize += total;
        appendSeq++;
        order.record(WriteOrder.Step.WRITE, appendSeq);
        if (journalSize > compactBytes) {
            compact(current.get());
        }
        return appendSeq;
    }

    /** Returns once every append up to {@code seq} is on disk; concurrent callers share one fsync. */
    public void sync(long seq) throws IOException {
        if (syncedSeq.get() >= seq) {
            return;
        }
        synchronized (syncLock) {
            if (syncedSeq.get() >= seq) {
                return;
            }
            long target;
            FileChannel c;
            synchronized (this) {
                target = appendSeq;
                c = journal;
            }
            try {
                c.force(false);
            } catch (java.nio.channels.ClosedChannelException e) {
                if (syncedSeq.get() >= seq) {
                    return; // a compaction made it durable and closed the old journal meanwhile
                }
                throw e;
            }
            syncedSeq.accumulateAndGet(target, Math::max);
            order.record(WriteOrder.Step.FORCE, target);
        }
    }

    /**
     * A failed append (ENOSPC, EIO) may have written part of its records: cut the journal back
     * to its last whole record, or recovery would stop at the torn one and drop every later,
     * acknowledged change. The changes of this append are refused (their replies withheld).
     */
    private IOException torn(IOException e) {
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        try {
            journal.truncate(journalSize);
            journal.position(journalSize);
        } catch (IOException t) {
            return new IOException("lease journal " + journalPath + ": append failed (" + why
                    + ") and cutting back the torn record failed (" + t.getMessage() + ")", e);
        }
        return new IOException("lease journal " + journalPath + ": append failed (" + why
                + "); nothing of it was kept, earlier leases are intact", e);
    }

    /** Appends and syncs in one call. */
    public void commit(List<StateChange> changes, Supplier<NetState> current) throws IOException {
        sync(append(changes, current));
    }

    /** Writes {@code state} as the new snapshot and starts an empty journal (both atomic). */
    public synchronized void compact(NetState state) throws IOException {
        long gen = generation + 1;
        byte[] body = StateCodec.encodeState(state);
        ByteBuffer b = ByteBuffer.allocate(16 + body.length);
        b.putInt(SNAP_MAGIC).putLong(gen).putInt(crc32c(body, 0, body.length)).put(body);
        journal.force(false);
        AtomicFiles.write(snapshotPath, b.array());
        newJournal(gen);
        generation = gen;
        syncedSeq.accumulateAndGet(appendSeq, Math::max); // all appended so far is in the durable snapshot
        order.record(WriteOrder.Step.FORCE, appendSeq);
        log.info("leases_compacted", "generation", gen, "leases", state.leases().size(), "bytes", body.length);
    }

    public synchronized long journalBytes() {
        return journalSize;
    }

    static int crc32c(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    @Override
    public synchronized void close() throws IOException {
        if (journal != null) {
            journal.force(false);
            journal.close();
            journal = null;
        }
    }
}
