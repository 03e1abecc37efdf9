package org.qemu.helpers.slirpdhcp.transport;

import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.common.poll.PollingTrial;
import org.qemu.helpers.common.poll.SpinWait;
import com.sun.jna.Memory;
import com.sun.jna.Platform;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.qemu.helpers.slirpdhcp.engine.frame.FrameBatch;

/**
 * One thread and one epoll set for a guest's whole data path: the frame front end's descriptor and every host
 * socket of the NAT, as slirp4netns and passt run one poll loop. A round trip through the helper then wakes one
 * thread per direction and hands nothing between threads (measured before: six futex calls per one-byte round
 * trip, the front end's reader and the socket thread contending for the engine's lock). Level-triggered: a
 * handler that stops early (a bounded burst) is called again in the next round.
 *
 * <p>Registration, {@link #execute} and {@link #close} work from any thread (epoll_ctl is); handlers, tasks and
 * the timer run on the loop's thread. Each round's frames toward the guest form one {@link FrameBatch}.
 *
 * <p>While a peer answers in a tight loop (a one-byte ping-pong, a request-response protocol) the loop polls for
 * the next events for at most {@link #SPIN_NANOS} after a round instead of sleeping in epoll_wait (see
 * {@link SpinWait}): a round trip then waits for no vCPU to be woken on the helper's side. It does so only while
 * polling is measured to bring the next events sooner ({@link PollingTrial}): a peer that took turns with the loop on
 * one CPU would otherwise be pushed to the other CPU and wake up late there (a flood ping, 3x slower).
 */
public final class EventLoop implements AutoCloseable {
    /** Called on the loop's thread with the ready events (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP). */
    public interface Handler {
        void ready(int events);
    }

    private static final int MAX_EVENTS = 64;
    /** struct epoll_event {uint32_t events; epoll_data_t data;} is packed on x86-64 only. */
    private static final int EVENT_SIZE = Platform.isIntel() && Platform.is64Bit() ? 12 : 16;
    private static final int DATA_OFFSET = EVENT_SIZE == 12 ? 4 : 8;
    private static final long WAKE_TOKEN = 0;

    private final int epfd;
    private final int wakeFd;
    private final Memory events = new Memory((long) MAX_EVENTS * EVENT_SIZE);
    /** {@link #events} read as Java memory: no JNI call per field of each event. */
    private final ByteBuffer eventView = events.getByteBuffer(0, events.size()).order(ByteOrder.nativeOrder());
    private final long eventsAddress = com.sun.jna.Pointer.nativeValue(events); // Posix's primitive overloads
    private final Memory wakeValue = new Memory(8);
    private final Memory drain = new Memory(8);
    private final Memory ctlEvent = new Memory(16);
    /**
     * Handlers by slot, guarded by {@link #slotLock}: a token is its slot in the low 32 bits and the slot's
     * generation above, so a lookup is an array index, a stale token (an event collected before its descriptor was
     * removed) misses, and no Long is boxed per event as a map keyed by token did.
     */
    private Handler[] handlers = new Handler[64];
    private long[] tokens = new long[64];
    private int[] free = new int[64];
    private int freeCount;
    private int used = 1; // slot 0 is the wake-up eventfd's (WAKE_TOKEN)
    private final Object slotLock = new Object();
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final EventLog log;
    private final Thread thread;
    private volatile boolean closed;
    private volatile LongSupplier deadline;
    private volatile Runnable onDeadline;
    private long waitedNs; // the last epoll_wait's duration, loop thread only
    private boolean caughtWhilePolling; // the last round's events arrived while the loop polled, loop thread only

    /**
     * How long after a round the loop polls for the next events before it sleeps; system property
     * slirpdhcp.loopSpinMicros, 0 turns polling off. Twice the TPM data channel's: a round trip here has two peers
     * (the guest and a host server), each of whose answers must come within it, and with 50 us a one-byte
     * ping-pong's gaps were often longer on a loaded machine (0.92x slirp4netns, against 1.27x with 100 us in the
     * same run; README "seventh round").
     */
    static final long SPIN_NANOS = SpinWait.windowFromProperty("slirpdhcp.loopSpinMicros", 100);
    private final SpinWait spin; // loop thread only
    private final PollingTrial trial = new PollingTrial(); // loop thread only: whether polling pays here
    private long lastArrival; // when the previous round's events arrived, loop thread only
    private long roundsCaughtWhilePolling; // loop thread only

    /**
     * How long a wait must have lasted to count as one that slept: an epoll_wait that finds events ready returns
     * in a few microseconds here (the system call and JNA), one that blocks lasts at least a wake-up (tens of
     * microseconds across CPUs in this VM, see README "fourth round"). A misjudged wait costs one system call.
     */
    static final long SLEPT_NS = 15_000;

    /**
     * Loop thread: the round being handled began with a wait that slept, i.e. its events arrived one at a time
     * (a round trip), not in a stream that was already queued (bulk).
     */
    public boolean lastWaitSlept() {
        return caughtWhilePolling || waitedNs >= SLEPT_NS;
    }

    public EventLoop(String name, EventLog log) {
        this(name, log, SPIN_NANOS);
    }

    /** spinNanos: the polling window (0: the loop always sleeps in epoll_wait). */
    EventLoop(String name, EventLog log, long spinNanos) {
        this.log = log;
        this.spin = new SpinWait(spinNanos);
        epfd = Posix.epoll_create1(Posix.EPOLL_CLOEXEC);
        if (epfd < 0) {
            throw new IllegalStateException("epoll_create1: " + Posix.lastError());
        }
        wakeFd = Posix.eventfd(0, Posix.EFD_CLOEXEC | Posix.EFD_NONBLOCK);
        if (wakeFd < 0) {
            Posix.close(epfd);
            throw new IllegalStateException("eventfd: " + Posix.lastError());
        }
        ctl(Posix.EPOLL_CTL_ADD, wakeFd, Posix.EPOLLIN, WAKE_TOKEN);
        thread = FrameBatch.newThread(this::loop, name);
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /**
     * The timer the loop runs: {@code onDeadline} once the clock (ms, System.currentTimeMillis) reaches what
     * {@code deadline} answers, asked again after every round.
     */
    public void timer(LongSupplier deadline, Runnable onDeadline) {
        this.onDeadline = onDeadline;
        this.deadline = deadline;
    }

    /** Watches {@code fd} for {@code events} (0: registered later by {@link #modify}); returns its token. */
    public long add(int fd, int events, Handler h) {
        long token;
        synchronized (slotLock) {
            int slot;
            if (freeCount > 0) {
                slot = free[--freeCount];
            } else {
                if (used == handlers.length) {
                    handlers = Arrays.copyOf(handlers, used * 2);
                    tokens = Arrays.copyOf(tokens, used * 2);
                }
                slot = used++;
            }
            token = (((tokens[slot] >>> 32) + 1) << 32) | slot;
            tokens[slot] = token;
            handlers[slot] = h;
        }
        if (events != 0) {
            ctl(Posix.EPOLL_CTL_ADD, fd, events, token);
        }
        return token;
    }

    /**
     * Changes what {@code fd} is watched for; {@code was} is what it was watched for. Interest 0 takes the
     * descriptor out of the set, since epoll reports EPOLLHUP and EPOLLERR whatever is asked (a reset socket
     * nobody reads would wake every round), and puts it back when interest returns.
     */
    public void modify(int fd, long token, int was, int events) {
        if (was == events) {
            return;
        }
        if (events == 0) {
            Posix.epoll_ctl(epfd, Posix.EPOLL_CTL_DEL, fd, null);
        } else {
            ctl(was == 0 ? Posix.EPOLL_CTL_ADD : Posix.EPOLL_CTL_MOD, fd, events, token);
        }
    }

    /** Stops watching {@code fd} (call before closing it); events already collected for it are ignored. */
    public void remove(int fd, long token, int was) {
        if (was != 0) {
            Posix.epoll_ctl(epfd, Posix.EPOLL_CTL_DEL, fd, null);
        }
        forget(token);
    }

    /**
     * Stops watching {@code fd} and closes it, with one system call: close(2) of the last descriptor of an open file
     * takes it out of every epoll set (epoll(7)), so no EPOLL_CTL_DEL is needed for a descriptor the caller
     * alone holds (a NAT socket). Events already collected for it are ignored.
     */
    public void removeAndClose(int fd, long token) {
        forget(token);
        Posix.close(fd);
    }

    private void forget(long token) {
        synchronized (slotLock) {
            int slot = (int) token;
            if (slot > 0 && slot < used && tokens[slot] == token) {
                handlers[slot] = null;
                tokens[slot] = token & ~0xffff_ffffL; // the generation stays (the next add counts on); no token is 0 below
                if (freeCount == free.length) {
                    free = Arrays.copyOf(free, freeCount * 2);
                }
                free[freeCount++] = slot;
            }
        }
    }

    private Handler handler(long token) {
        synchronized (slotLock) {
            int slot = (int) token;
            return slot > 0 && slot < used && tokens[slot] == token ? handlers[slot] : null;
        }
    }

    private void ctl(int op, int fd, int events, long token) {
        synchronized (ctlEvent) { // one struct for every caller: no native allocation per change of interest
            ctlEvent.setInt(0, events);
            ctlEvent.setLong(DATA_OFFSET, token);
            if (Posix.epoll_ctl(epfd, op, fd, ctlEvent) != 0) {
                throw new IllegalStateException("epoll_ctl(" + op + ", fd " + fd + "): " + Posix.lastError());
            }
        }
    }

    /** Runs {@code r} on the loop's thread after the current round. */
    public void execute(Runnable r) {
        tasks.add(r);
        wake();
    }

    /**
     * Runs {@code r} on the loop's thread and waits for it (at most 5 s), or runs it here when called on that
     * thread or when the loop is not running: what must not race with a handler (closing a descriptor the handler
     * may be reading, whose number the kernel could hand out again at once).
     */
    public void runOnLoop(Runnable r) {
        if (Thread.currentThread() == thread || !thread.isAlive() || closed) {
            r.run();
            return;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        execute(() -> {
            try {
                r.run();
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        try {
            done.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            log.error("nat_loop_error", "error", e);
        }
    }

    /** Rounds whose events arrived while the loop polled (read on the loop's thread, or after it ended). */
    long roundsCaughtWhilePolling() {
        return roundsCaughtWhilePolling;
    }

    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    private void wake() {
        wakeValue.setLong(0, 1);
        Posix.write(wakeFd, wakeValue, 8);
    }

    private void loop() {
        while (!closed && round()) {
            // one round per call: round() is compiled after a few hundred calls, where this loop's own body would
            // wait for on-stack replacement and ran interpreted (perf: 4.4 % of the helper's CPU in the interpreter
            // during a connections/s run, C1 only)
        }
    }

    /** Waits for events or the next deadline and handles them; false when the loop must end. */
    private boolean round() {
        LongSupplier d = deadline;
        long due = d == null ? Long.MAX_VALUE : d.getAsLong();
        int timeout = due == Long.MAX_VALUE ? -1
                : (int) Math.min(1000, Math.max(1, due - System.currentTimeMillis()));
        int n = await(timeout);
        if (n < 0) {
            if (Posix.errno() != Posix.EINTR) {
                log.error("nat_loop_error", "error", "epoll_wait: " + Posix.lastError());
                return false;
            }
            n = 0;
        }
        FrameBatch.begin(); // the frames of one round go to a stream guest with one write
        try {
            for (int i = 0; i < n && !closed; i++) {
                int off = i * EVENT_SIZE;
                dispatch(eventView.getInt(off), eventView.getLong(off + DATA_OFFSET));
            }
            Runnable r;
            while ((r = tasks.poll()) != null) {
                run(r);
            }
            Runnable t = onDeadline;
            if (t != null && System.currentTimeMillis() >= due) {
                run(t); // timers when due, not on every wake-up
            }
        } finally {
            FrameBatch.end();
        }
        return true;
    }

    /**
     * epoll_wait, preceded while {@link #spin} is engaged and {@link #trial} finds that polling pays by looks that do
     * not block (see {@link #poll}); every arrival is reported to both.
     */
    private int await(int timeout) {
        long start = System.nanoTime();
        caughtWhilePolling = false;
        int n = spin.engaged() && trial.pollingAllowed() ? poll(start, timeout) : 0;
        if (n == 0) {
            n = Posix.epoll_wait(epfd, eventsAddress, MAX_EVENTS, timeout);
            waitedNs = System.nanoTime() - start;
            if (n > 0 && spin.windowNanos() > 0) {
                spin.arrivedAfter(waitedNs); // a timer's wake-up (n == 0) says nothing about the peers
            }
        }
        if (n > 0 && spin.windowNanos() > 0) {
            long arrival = start + waitedNs;
            trial.arrived(arrival - lastArrival);
            lastArrival = arrival;
        }
        return n;
    }

    /**
     * Looks for events with epoll_wait(timeout 0), yielding between looks so that a peer waiting for this core runs
     * first, for at most the window and not past the timer's deadline: their count, or 0 when none came (then the
     * caller sleeps). Sets {@link #waitedNs} when it returns events.
     */
    private int poll(long start, int timeout) {
        long limit = timeout < 0 ? spin.windowNanos() : Math.min(spin.windowNanos(), timeout * 1_000_000L);
        int n = Posix.epoll_wait(epfd, eventsAddress, MAX_EVENTS, 0);
        if (n > 0) {
            spin.foundWaiting();
            waitedNs = System.nanoTime() - start;
            return n;
        }
        while (!closed) {
            Thread.yield();
            n = Posix.epoll_wait(epfd, eventsAddress, MAX_EVENTS, 0);
            long now = System.nanoTime();
            if (n > 0) {
                spin.arrivedWhilePolling();
                caughtWhilePolling = true;
                roundsCaughtWhilePolling++;
                waitedNs = now - start;
                return n;
            }
            if (now - start > limit) {
                spin.timedOut();
                break;
            }
        }
        return 0; // an error (EINTR) is seen again, and reported, by the blocking wait
    }

    private void dispatch(int ev, long token) {
        if (token == WAKE_TOKEN) {
            Posix.read(wakeFd, drain, 8);
            return;
        }
        Handler h = handler(token);
        if (h != null) {
            try {
                h.ready(ev);
            } catch (RuntimeException e) {
                if (!closed) {
                    log.error("nat_loop_error", "error", e);
                }
            }
        }
    }

    private void run(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            if (!closed) {
                log.error("nat_loop_error", "error", e);
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        wake();
        if (thread.isAlive() && Thread.currentThread() != thread) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Runnable r;
        while ((r = tasks.poll()) != null) {
            run(r);
        }
        Posix.close(wakeFd);
        Posix.close(epfd);
    }
}
