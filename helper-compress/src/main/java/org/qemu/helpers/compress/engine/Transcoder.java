package org.qemu.helpers.compress.engine;

import java.io.IOException;
import java.io.OutputStream;

/** Runs one compression or decompression between two streams, choosing and checking the format. */
public final class Transcoder {
    private Transcoder() { }

    /**
     * The format to decompress {@code head} (the first bytes of the source) with: the requested one,
     * or for {@code requested == null} ("auto") the one whose magic number it starts with.
     */
    public static Format resolveDecompressFormat(Format requested, byte[] head, int length) throws CorruptInput {
        if (length == 0) {
            throw new CorruptInput("the source is empty, which is no compressed stream");
        }
        Format found = Format.detect(head, length).orElse(null);
        if (requested == null) {
            if (found == null) {
                throw new CorruptInput("the source starts with no known magic number (zstd, gzip, xz, lz4)");
            }
            return found;
        }
        if (found != requested) {
            throw new CorruptInput("the source is not " + requested.wire() + " data"
                    + (found != null ? " (it looks like " + found.wire() + ")" : ""));
        }
        return requested;
    }

    /** Compresses or decompresses all of {@code in} into {@code out} as {@code spec} says. */
    public static void run(JobSpec spec, Format format, CountingInputStream in, OutputStream out, Progress progress)
            throws IOException {
        Codec codec = Codec.of(format);
        if (spec.direction() == Direction.COMPRESS) {
            codec.compress(in, out, spec.level(), spec.workers(), progress);
        } else {
            codec.decompress(in, out, progress);
        }
        out.flush();
    }
}
