package org.qemu.helpers.tpmstub.transport;

/**
 * When a data connection waits for its next command on the CPU (polling the socket, yielding
 * between looks) instead of blocked in read(2), and for how long at most. No I/O here: the
 * data channel asks {@link #engaged()} after each response and reports what happened.
 *
 * <p>Why: on a VM whose vCPUs idle, a command that wakes a server blocked in read(2) on another
 * vCPU waits for that vCPU to be woken (about 20-30 us here, several times the command), where a
 * server still looking at the socket answers at once. The wait is bounded by the window after
 * each response and engaged only while commands actually come back that fast (a client in a
 * tight loop, e.g. a guest's driver issuing a burst): a peer that pauses longer disengages it
 * at the first miss, and a peer whose command is always there already at the first look (client
 * and server on one core, where polling only adds a system call) disengages it for a while.
 */
final class SpinWait {
    /** Looks in a row that found the command already waiting before polling is suspended. */
    static final int WAITING_LIMIT = 8;
    /** Commands for which polling stays suspended after that (then the gaps are measured again). */
    static final int SUSPEND = 1024;

    private final long windowNanos;
    private boolean engaged;
    private int waiting;
    private int suspended;

    /** windowNanos 0 never engages. */
    SpinWait(long windowNanos) {
        this.windowNanos = windowNanos;
    }

    long windowNanos() {
        return windowNanos;
    }

    /** Whether to poll for the next command (for at most the window after the response) before blocking. */
    boolean engaged() {
        return engaged;
    }

    /** Not engaged: the next command arrived gapNanos after the previous response was written. */
    void arrivedAfter(long gapNanos) {
        if (suspended > 0) {
            suspended--;
        } else if (windowNanos > 0 && gapNanos < windowNanos) {
            engaged = true;
        }
    }

    /** Engaged: the command was there at the first look, so a blocking read would not have slept. */
    void foundWaiting() {
        if (++waiting >= WAITING_LIMIT) {
            engaged = false;
            waiting = 0;
            suspended = SUSPEND;
        }
    }

    /** Engaged: the command arrived while polling (the case polling is for). */
    void arrivedWhilePolling() {
        waiting = 0;
    }

    /** Engaged: the window passed without a command; block from now on until commands come fast again. */
    void timedOut() {
        engaged = false;
        waiting = 0;
    }
}
