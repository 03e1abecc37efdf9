package org.qemu.helpers.compress.engine;

import java.io.IOException;

/** Refuses up front a job whose codec would need more Java heap than the helper has. */
public final class MemoryBudget {
    private MemoryBudget() { }

    /**
     * Checks {@code spec} against half of {@code maxHeap} (the rest is for other jobs and the bus).
     * Only xz keeps large state on the Java heap (preset 6: about 94 MiB per encoder); zstd's lives
     * in native memory and the other codecs hold a few MiB.
     */
    public static void check(JobSpec spec, long maxHeap) throws Refusal {
        if (spec.direction() != Direction.COMPRESS || spec.format() != Format.XZ) {
            return;
        }
        long need;
        try {
            need = XzCodec.compressMemory(spec.level(), spec.workers());
        } catch (IOException e) {
            throw new Refusal(Refusal.Kind.INVALID_ARGS, "xz level " + spec.level() + ": " + e.getMessage());
        }
        if (need > maxHeap / 2) {
            throw new Refusal(Refusal.Kind.NO_MEMORY, "xz level " + spec.level() + " with " + spec.workers()
                    + " workers needs about " + (need >> 20) + " MiB of heap; this helper has " + (maxHeap >> 20)
                    + " MiB (half usable per job): use a lower level or fewer workers, or start the helper with a"
                    + " larger -Xmx");
        }
    }
}
