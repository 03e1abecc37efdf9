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
import org.qemu.helpers.tpmstub.engine.TpmState;

/**
 * TPM state in the state directory.
 * <ul>
 * <li>{@code permanent.bin}: the permanent part, replaced atomically (temp, fsync, rename) on every change.</li>
 * <li>{@code volatile.live}: the running volatile state (PCRs...), written after every command that
 * changes it into one of two alternating slots (sequence number + CRC-32C), before the response
 * goes out. The write reaches the kernel before the reply, so a {@code kill -9} loses nothing that
 * was acknowledged; a torn slot (power loss) leaves the other slot valid. It is fsynced at most
 * once a second, on STORE_VOLATILE, STOP, SHUTDOWN and at exit.</li>
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
    private long seq;
    private boolean unsynced;

    private StateStore(Path dir, FileChannel live, long seq) {
        this.dir = dir;
        this.live = live;
        this.seq = seq;
    }

    /** Opens (creating) the store in dir and removes temp files a crash left behind. */
    public static StateStore open(Path dir) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.cleanStaleTemps(dir);
        FileChannel ch = FileChannel.open(dir.resolve(LIVE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        StateStore s = new StateStore(dir, ch, 0);
        s.seq = s.newestSlot().map(Slot::seq).orElse(0L);
        return s;
    }

    public Path dir() {
        return dir;
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
        if (crc(s, blob) != crc) {
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

    private static int crc(long seq, byte[] blob) {
        CRC32C c = new CRC32C();
        c.update(ByteBuffer.allocate(8).putLong(seq).array());
        c.update(blob);
        return (int) c.getValue();
    }

    public Optional<byte[]> loadPermanent() throws IOException {
        Path p = dir.resolve(PERMANENT);
        return Files.exists(p) ? Optional.of(Files.readAllBytes(p)) : Optional.empty();
    }

    public void savePermanent(byte[] blob) throws IOException {
        AtomicFiles.write(dir.resolve(PERMANENT), blob);
    }

    /** The newest intact running volatile state, if any. */
    public Optional<byte[]> loadLive() throws IOException {
        return newestSlot().map(Slot::blob);
    }

    /** Writes the running volatile state into the older slot (no fsync; see class comment). */
    public synchronized void saveLive(byte[] blob) throws IOException {
        if (blob.length > TpmState.MAX_BLOB) {
            throw new IOException("volatile state of " + blob.length + " bytes exceeds " + TpmState.MAX_BLOB);
        }
        long s = seq + 1;
        ByteBuffer buf = ByteBuffer.allocate(HEADER + blob.length);
        buf.putLong(s).putInt(blob.length).putInt(crc(s, blob)).put(blob).flip();
        long pos = (s % 2) * SLOT;
        while (buf.hasRemaining()) {
            pos += live.write(buf, pos);
        }
        seq = s;
        unsynced = true;
    }

    /** Forces the running volatile state to stable storage if it changed since the last sync. */
    public synchronized void syncLive() throws IOException {
        if (unsynced) {
            live.force(false);
            unsynced = false;
        }
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
    public synchronized void close() throws IOException {
        try {
            syncLive();
        } finally {
            live.close();
        }
    }
}
