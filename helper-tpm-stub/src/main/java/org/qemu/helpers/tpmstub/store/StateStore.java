package org.qemu.helpers.tpmstub.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.zip.CRC32C;

import org.qemu.helpers.common.store.AtomicFiles;
import org.qemu.helpers.common.store.WriteOrder;
import org.qemu.helpers.tpmstub.engine.TpmState;

/**
 * TPM state in the state directory.
 * <ul>
 * <li>{@code permanent.bin}: the permanent part, replaced atomically (temp, fsync, rename) on every change.</li>
 * <li>{@code volatile.live}: the running volatile state (PCRs...), written after every command that
 * changes it into one of two alternating slots (sequence number + CRC-32C), before the response
 * goes out. The file is memory-mapped (MAP_SHARED): a store is a copy into the kernel's page
 * cache without a system call, so it survives a {@code kill -9} of this process and nothing that
 * was acknowledged is lost; a torn slot (power loss, or a kill in mid-copy) fails its check and
 * leaves the other slot valid. It is synced to disk at most once a second, on STORE_VOLATILE,
 * STOP, SHUTDOWN and at exit.</li>
 * <li>{@code volatile-saved.bin}: swtpm's "saved volatile state" (CMD_STORE_VOLATILE,
 * SET_STATEBLOB type 2) that the next CMD_INIT resumes from; written atomically.</li>
 * </ul>
 */
public final class StateStore implements Closeable {
    public static final String PERMANENT = "permanent.bin";
    public static final String LIVE = "volatile.live";
    public static final String SAVED = "volatile-saved.bin";
    private static final int HEADER = 8 + 4 + 4;
    private static final int SLOT = HEADER + TpmState.MAX_BLOB;

    private final Path dir;
    private final FileChannel live;
    private final java.nio.MappedByteBuffer map;
    private final WriteOrder order;
    private long seq;
    private long permanentSeq;
    private boolean unsynced;

    private StateStore(Path dir, FileChannel live, long seq, WriteOrder order) throws IOException {
        this.dir = dir;
        this.live = live;
        this.order = order;
        preallocate(live);
        this.map = live.map(FileChannel.MapMode.READ_WRITE, 0, 2L * SLOT);
        this.seq = seq;
    }

    /** Opens (creating) the store in dir and removes temp files a crash left behind. */
    public static StateStore open(Path dir) throws IOException {
        return open(dir, WriteOrder.NONE);
    }

    /** As {@link #open(Path)}, reporting each permanent state's write and force to {@code order}. */
    public static StateStore open(Path dir, WriteOrder order) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.cleanStaleTemps(dir);
        FileChannel ch = FileChannel.open(dir.resolve(LIVE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        StateStore s;
        try {
            s = new StateStore(dir, ch, 0, order);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        s.seq = s.newestSlot().map(Slot::seq).orElse(0L);
        return s;
    }

    public Path dir() {
        return dir;
    }

    /**
     * Writes both slots through write(2) (their own bytes back) so that the file system allocates
     * every block now: a store into a mapped page with no block behind it on a full disk is a
     * SIGBUS (an InternalError in Java), not an IOException. Out of space here fails the start.
     */
    private static void preallocate(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(2 * SLOT);
        long pos = 0;
        while (b.hasRemaining() && ch.read(b, pos + b.position()) > 0) {
            // read what is there; the rest stays zero
        }
        b.clear();
        while (b.hasRemaining()) {
            ch.write(b, b.position());
        }
        ch.force(true);
    }

    /** Where the store reports its permanent writes and forces; the caller reports the replies. */
    public WriteOrder order() {
        return order;
    }

    /** The sequence number of the last permanent state written. */
    public synchronized long permanentSeq() {
        return permanentSeq;
    }

    private record Slot(long seq, byte[] blob) { }

    private Optional<Slot> readSlot(int i) throws IOException {
        ByteBuffer hdr = ByteBuffer.allocate(HEADER);
        if (live.read(hdr, (long) i * SLOT) != HEADER) {
            return Optional.empty();
        }
        hdr.flip();
        long s = hdr.getLong();
        int len = hdr.getInt();
        int crc = hdr.getInt();
        if (len <= 0 || len > TpmState.MAX_BLOB) {
            return Optional.empty();
        }
        ByteBuffer body = ByteBuffer.allocate(len);
        if (live.read(body, (long) i * SLOT + HEADER) != len) {
            return Optional.empty();
        }
        byte[] blob = body.array();
        if (crc(s, len) != crc || !blobCrcOk(blob)) {
            return Optional.empty();
        }
        return Optional.of(new Slot(s, blob));
    }

    private Optional<Slot> newestSlot() throws IOException {
        Optional<Slot> a = readSlot(0);
        Optional<Slot> b = readSlot(1);
        if (a.isEmpty()) {
            return b;
        }
        if (b.isEmpty()) {
            return a;
        }
        return a.get().seq() > b.get().seq() ? a : b;
    }

    /** The slot header's check value covers the sequence number and length. */
    private static int crc(long seq, int len) {
        CRC32C c = new CRC32C();
        c.update(ByteBuffer.allocate(12).putLong(seq).putInt(len).array());
        return (int) c.getValue();
    }

    /** State blobs end with the CRC-32C of what precedes it (TpmState's sealing). */
    private static boolean blobCrcOk(byte[] blob) {
        if (blob.length < 4) {
            return false;
        }
        CRC32C c = new CRC32C();
        c.update(blob, 0, blob.length - 4);
        return (int) c.getValue() == ByteBuffer.wrap(blob, blob.length - 4, 4).getInt();
    }

    public Optional<byte[]> loadPermanent() throws IOException {
        Path p = dir.resolve(PERMANENT);
        return Files.exists(p) ? Optional.of(Files.readAllBytes(p)) : Optional.empty();
    }

    /** Replaces the permanent state atomically and durably (fsync before it returns, so before the reply). */
    public synchronized void savePermanent(byte[] blob) throws IOException {
        AtomicFiles.write(dir.resolve(PERMANENT), blob, null, order, permanentSeq + 1);
        permanentSeq++;
    }

    /** The newest intact running volatile state, if any. */
    public Optional<byte[]> loadLive() throws IOException {
        return newestSlot().map(Slot::blob);
    }

    /** Writes the running volatile state into the older slot (no fsync; see class comment). */
    public void saveLive(byte[] blob) throws IOException {
        saveLive(blob, blob.length);
    }

    /** As {@link #saveLive(byte[])} for the first {@code length} bytes of {@code blob}. */
    public synchronized void saveLive(byte[] blob, int length) throws IOException {
        if (length > TpmState.MAX_BLOB || length < 4) {
            throw new IOException("volatile state of " + length + " bytes is out of range");
        }
        CRC32C check = new CRC32C();
        check.update(blob, 0, length - 4);
        if ((int) check.getValue() != ByteBuffer.wrap(blob, length - 4, 4).getInt()) {
            throw new IOException("refusing to store an unsealed volatile state");
        }
        long s = seq + 1;
        int pos = (int) ((s % 2) * SLOT);
        // header first: a copy cut short leaves a slot whose blob fails its CRC, and the other slot wins
        map.putLong(pos, s).putInt(pos + 8, length).putInt(pos + 12, crc(s, length));
        map.put(pos + HEADER, blob, 0, length);
        seq = s;
        unsynced = true;
    }

    /**
     * Forces the running volatile state to stable storage if it changed since the last sync. The
     * force runs outside the monitor so that commands keep being stored while the disk syncs.
     */
    public void syncLive() throws IOException {
        synchronized (this) {
            if (!unsynced) {
                return;
            }
            unsynced = false;
        }
        map.force();
    }

    public Optional<byte[]> loadSaved() throws IOException {
        Path p = dir.resolve(SAVED);
        return Files.exists(p) ? Optional.of(Files.readAllBytes(p)) : Optional.empty();
    }

    public void saveSaved(byte[] blob) throws IOException {
        AtomicFiles.write(dir.resolve(SAVED), blob);
    }

    public void deleteSaved() throws IOException {
        if (Files.deleteIfExists(dir.resolve(SAVED))) {
            AtomicFiles.fsyncDirectory(dir);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            syncLive();
        } finally {
            synchronized (this) {
                live.close();
            }
        }
    }
}
