package org.qemu.helpers.common.poll;

/**
 * Whether polling (see {@link SpinWait}) actually makes the peers' next input come sooner, measured rather than
 * assumed. No I/O: the waiting thread asks {@link #pollingAllowed()} before it waits and reports the cycle of every
 * input it handles (from the previous input's arrival to this one's).
 *
 * <p>Why: polling removes the waiting thread's own wake-up from a round trip, but it keeps that thread's CPU busy,
 * and a peer that ran on the same CPU between two inputs (taking turns, with no wake-up across CPUs at all) is then
 * moved to the other CPU and pays an idle wake-up there on every input. Measured on this VM: a flood ping answered by
 * the network helper itself made 107,000 echoes/s with the loop sleeping and 32,000/s with it polling, while a TCP
 * ping-pong through the helper to a host server went from 15,000 to 21,000 round trips/s. Which case holds depends
 * on the peers and the scheduler, so the trial runs both: one epoch of {@link #EPOCH} inputs with polling allowed,
 * one without, then the mode whose mean cycle was shorter is kept for a while (see {@link #HOLD}), and the trial
 * repeats.
 * Polling must win by {@link #MARGIN_PERCENT} percent, since it costs a core while it runs.
 */
public final class PollingTrial {
    /** Inputs per measured epoch. */
    public static final int EPOCH = 256;
    /**
     * Epochs a verdict is kept before the next trial: {@link #FIRST_HOLD} after a verdict that differs from the one
     * before (a wrong first verdict, taken while the JIT warmed up or the peers started, is corrected within about
     * 4,000 inputs), doubled after each verdict that repeats, up to {@link #HOLD} (65,536 inputs, 1.5-3 s of a busy
     * ping-pong). The trial's losing epoch costs the winner's rate while it lasts: about 5 % of the time when every
     * verdict was held 64 epochs (measured: 1.03x slirp4netns against 1.12x for polling always on, one run), about
     * 1 % at 256.
     */
    public static final int HOLD = 256;
    /** Epochs a changed verdict is kept. */
    public static final int FIRST_HOLD = 16;

    /** How much shorter (in percent) the mean cycle must be with polling for polling to be kept. */
    public static final int MARGIN_PERCENT = 10;
    /**
     * A longer cycle counts as this long: a peer that paused (an idle guest, a user thinking) says nothing about
     * which mode answers faster, and one pause must not decide an epoch.
     */
    public static final long CYCLE_CAP_NANOS = 1_000_000;

    private enum Phase { WITH_POLLING, WITHOUT_POLLING, HOLDING }

    private Phase phase = Phase.WITH_POLLING;
    private boolean allowed = true;
    private int inputs;
    private long sum;
    private long withPollingMean;
    private int held;
    private int hold = FIRST_HOLD;
    private boolean lastVerdict;
    private boolean anyVerdict;

    /** Whether the thread may poll (as {@link SpinWait} decides) before its next wait. */
    public boolean pollingAllowed() {
        return allowed;
    }

    /** An input arrived cycleNanos after the one before it. */
    public void arrived(long cycleNanos) {
        sum += Math.min(Math.max(0, cycleNanos), CYCLE_CAP_NANOS);
        if (++inputs < EPOCH) {
            return;
        }
        long mean = sum / inputs;
        inputs = 0;
        sum = 0;
        switch (phase) {
            case WITH_POLLING -> {
                withPollingMean = mean;
                allowed = false;
                phase = Phase.WITHOUT_POLLING;
            }
            case WITHOUT_POLLING -> {
                allowed = withPollingMean * 100 < mean * (100 - MARGIN_PERCENT);
                hold = anyVerdict && allowed == lastVerdict ? Math.min(HOLD, hold * 2) : FIRST_HOLD;
                lastVerdict = allowed;
                anyVerdict = true;
                held = 0;
                phase = Phase.HOLDING;
            }
            case HOLDING -> {
                if (++held >= hold) {
                    allowed = true;
                    phase = Phase.WITH_POLLING;
                }
            }
        }
    }
}
