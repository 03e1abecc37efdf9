package org.qemu.helpers.compress.engine;

/** The work of one job, supplied by the caller of {@link JobRunner#submit} (files opened, codec chosen). */
public interface JobBody {
    /**
     * Does the work, updating {@code progress}. Throws {@link Cancelled} when cancelled. Whatever it
     * throws, it must leave neither a destination nor a temporary file behind.
     */
    void run(Progress progress) throws Exception;

    /** Releases what the body holds when it will never run (cancelled while queued, shutdown). */
    void discard();
}
