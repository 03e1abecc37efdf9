package org.qemu.helpers.common.poll;

/**
 * When a thread waits for its next input on the CPU (polling its descriptor, yielding between
 * looks) instead of blocked in the kernel, and for how long at most. No I/O here: the caller asks
 * {@link #engaged()} before it waits and reports what happened.
 *
 * <p>Why: on a VM whose vCPUs idle, input that wakes a thread blocked in read(2) or epoll_wait(2)
 * on another vCPU waits for that vCPU to be woken (about 20-30 us here, several times the work it
 * brings), where a thread still looking at the descriptor takes it at once (the technique of
 * Linux busy polling and the haltpoll cpuidle governor). The wait is bounded by the window after
 * the last input was handled and engaged only while input actually comes back that fast (a peer
 * in a tight request-response loop): a peer that pauses longer disengages it at the first miss,
 * and input that is always there already at the first look (a stream, or peers on one core, where
 * polling adds nothing) disengages it for a while.
 *
 * <p>Users: the TPM's data channel (after each response), the network helper's event loop (after
 * each round of frames and socket events).
 */
public final class SpinWait {
    /** Looks in a row that found input already waiting before polling is suspended. */
    public static final int WAITING_LIMIT = 8;
    /** Inputs for which polling stays suspended after that (then the gaps are measured again). */
    public static final int SUSPEND = 1024;

    private final long windowNanos;
    private boolean engaged;
    private int waiting;
    private int suspended;

    /** windowNanos 0 never engages. */
    public SpinWait(long windowNanos) {
        this.windowNanos = Math.max(0, windowNanos);
    }

    /**
     * The window from a system property in microseconds ({@code defaultMicros} when unset; 0 turns
     * polling off), e.g. {@code tpmstub.dataSpinMicros}.
     */
    public static long windowFromProperty(String property, long defaultMicros) {
        return Math.max(0, Long.getLong(property, defaultMicros)) * 1000;
    }

    public long windowNanos() {
        return windowNanos;
    }

    /** Whether to poll for the next input (for at most the window) before blocking. */
    public boolean engaged() {
        return engaged;
    }

    /** Not engaged: the next input arrived gapNanos after the previous one was handled. */
    public void arrivedAfter(long gapNanos) {
        if (suspended > 0) {
            suspended--;
        } else if (windowNanos > 0 && gapNanos < windowNanos) {
            engaged = true;
        }
    }

    /** Engaged: the input was there at the first look, so a blocking wait would not have slept. */
    public void foundWaiting() {
        if (++waiting >= WAITING_LIMIT) {
            engaged = false;
            waiting = 0;
            suspended = SUSPEND;
        }
    }

    /** Engaged: the input arrived while polling (the case polling is for). */
    public void arrivedWhilePolling() {
        waiting = 0;
    }

    /** Engaged: the window passed without input; block from now on until input comes fast again. */
    public void timedOut() {
        engaged = false;
        waiting = 0;
    }
}
