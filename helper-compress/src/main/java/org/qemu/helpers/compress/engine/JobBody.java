package org.qemu.helpers.compress.engine;

/** The work of one job, supplied by the caller of {@link JobRunner#submit} (files opened, codec chosen). */
public interface JobBody {
    /**
     * Does the work, updating {@code progress}. Throws {@link Cancelled} when cancelled. Whatever it
     * throws, it must leave neither a destination nor a temporary file behind.
     */
    void run(Progress progress) throws Exception;

    /** The size of the input, known before the job runs (TotalBytes while queued); 0 if unknown. */
    default long totalBytes() {
        return 0;
    }

    /** Releases what the body holds when it will never run (cancelled while queued, shutdown). */
    void discard();
}
