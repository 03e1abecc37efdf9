package org.qemu.helpers.common.store;

/**
 * The steps by which a store acknowledges a change, in the order they happen: its bytes
 * written, forced to stable storage, and the reply that acknowledges it released. A store
 * reports each step with the sequence number of the change; tests record them to prove that
 * no reply is released before its force (a kill -9 cannot prove it: the page cache survives it).
 */
public interface WriteOrder {
    /** One step of acknowledging a change. */
    enum Step { WRITE, FORCE, REPLY }

    /** Reports {@code step} for the changes up to {@code seq}. */
    void record(Step step, long seq);

    /** Production: nothing recorded. */
    WriteOrder NONE = (step, seq) -> { };
}
