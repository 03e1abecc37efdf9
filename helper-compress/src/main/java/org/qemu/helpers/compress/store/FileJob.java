package org.qemu.helpers.compress.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import org.qemu.helpers.common.store.WriteOrder;
import org.qemu.helpers.compress.engine.CountingInputStream;
import org.qemu.helpers.compress.engine.CountingOutputStream;
import org.qemu.helpers.compress.engine.Direction;
import org.qemu.helpers.compress.engine.Format;
import org.qemu.helpers.compress.engine.JobBody;
import org.qemu.helpers.compress.engine.JobSpec;
import org.qemu.helpers.compress.engine.Progress;
import org.qemu.helpers.compress.engine.Transcoder;

/**
 * One job on files: read the held-open source, write a journaled temporary file in the held-open
 * destination directory (written back to disk as it grows, see {@link WritebackOutputStream}), then
 * fsync and rename it. On failure or cancel the temporary file is
 * deleted, so a destination appears complete or not at all.
 */
public final class FileJob implements JobBody {
    private final JobSpec spec;
    private final SourceFile source;
    private final Destination destination;
    private final TempJournal journal;
    private final WriteOrder order;
    private final long seq = SEQ.incrementAndGet();
    private static final java.util.concurrent.atomic.AtomicLong SEQ = new java.util.concurrent.atomic.AtomicLong();

    public FileJob(JobSpec spec, SourceFile source, Destination destination, TempJournal journal) {
        this(spec, source, destination, journal, WriteOrder.NONE);
    }

    /** As the plain constructor, reporting the output's write and force as {@link #seq()} to {@code order}. */
    public FileJob(JobSpec spec, SourceFile source, Destination destination, TempJournal journal, WriteOrder order) {
        this.order = order;
        this.spec = spec;
        this.source = source;
        this.destination = destination;
        this.journal = journal;
    }

    /** Opens both ends safely; refusals leave nothing open and nothing written. */
    public static FileJob open(JobSpec spec, SafeRoots roots, String source, String destination, TempJournal journal)
            throws org.qemu.helpers.compress.engine.Refusal {
        return open(spec, roots, source, destination, journal, WriteOrder.NONE);
    }

    /** As {@link #open(JobSpec, SafeRoots, String, String, TempJournal)}, reporting to {@code order}. */
    public static FileJob open(JobSpec spec, SafeRoots roots, String source, String destination, TempJournal journal,
                               WriteOrder order) throws org.qemu.helpers.compress.engine.Refusal {
        SourceFile src = roots.openSource(source);
        try {
            return new FileJob(spec, src, roots.openDestination(destination, spec.overwrite(), src), journal, order);
        } catch (org.qemu.helpers.compress.engine.Refusal | RuntimeException e) {
            src.close();
            throw e;
        }
    }

    public SourceFile source() { return source; }
    public Destination destination() { return destination; }

    /** This job's sequence number in the {@link WriteOrder} (its output's write, force and the Finished reply). */
    public long seq() { return seq; }

    @Override
    public void run(Progress progress) throws Exception {
        progress.setTotalBytes(source.size());
        Destination.TempFile out = null;
        WritebackOutputStream rawOut = null;
        boolean committed = false;
        try {
            Format format = spec.format();
            if (spec.direction() == Direction.DECOMPRESS) {
                byte[] head = new byte[Format.MAGIC_PROBE];
                ByteBuffer b = ByteBuffer.wrap(head);
                while (b.hasRemaining() && source.channel().read(b, b.position()) > 0) {
                    // positional reads leave the channel at 0 for the codec
                }
                format = Transcoder.resolveDecompressFormat(spec.format(), head, b.position());
            }
            out = destination.createTemp(source.permissions(), journal);
            InputStream rawIn = Channels.newInputStream(source.channel());
            rawOut = new WritebackOutputStream(out.channel(), WritebackOutputStream.EVERY);
            try (CountingInputStream in = new CountingInputStream(rawIn, progress)) {
                OutputStream o = new CountingOutputStream(rawOut, progress);
                Transcoder.run(spec, format, in, o, progress);
            }
            rawOut.finish();
            progress.check();
            order.record(WriteOrder.Step.WRITE, seq);
            destination.commit(out, spec.overwrite(), source.fileKey(), journal);
            order.record(WriteOrder.Step.FORCE, seq); // file and directory fsynced
            committed = true;
        } finally {
            if (!committed) {
                if (rawOut != null) {
                    rawOut.abandon();
                }
                if (out != null) {
                    destination.abandon(out, journal);
                }
            }
            discard();
        }
    }

    @Override
    public long totalBytes() {
        return source.size();
    }

    @Override
    public void discard() {
        source.close();
        destination.close();
    }
}
