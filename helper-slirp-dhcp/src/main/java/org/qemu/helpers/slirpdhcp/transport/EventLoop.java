package org.qemu.helpers.slirpdhcp.transport;

import org.qemu.helpers.common.log.EventLog;
import com.sun.jna.Memory;
import com.sun.jna.Platform;
import java.util.HashMap;
import java.util.Map;
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
    private final Memory wakeValue = new Memory(8);
    private final Memory ctlEvent = new Memory(16);
    private final Map<Long, Handler> handlers = new HashMap<>(); // guarded by itself
    private long nextToken = 1;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final EventLog log;
    private final Thread thread;
    private volatile boolean closed;
    private volatile LongSupplier deadline;
    private volatile Runnable onDeadline;

    public EventLoop(String name, EventLog log) {
        this.log = log;
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
        thread = new Thread(this::loop, name);
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
        synchronized (handlers) {
            token = nextToken++;
            handlers.put(token, h);
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
        synchronized (handlers) {
            handlers.remove(token);
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

    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    private void wake() {
        wakeValue.setLong(0, 1);
        Posix.write(wakeFd, wakeValue, 8);
    }

    private void loop() {
        Memory drain = new Memory(8);
        while (!closed) {
            LongSupplier d = deadline;
            long due = d == null ? Long.MAX_VALUE : d.getAsLong();
            int timeout = due == Long.MAX_VALUE ? -1
                    : (int) Math.min(1000, Math.max(1, due - System.currentTimeMillis()));
            int n = Posix.epoll_wait(epfd, events, MAX_EVENTS, timeout);
            if (n < 0) {
                if (Posix.errno() != Posix.EINTR) {
                    log.error("nat_loop_error", "error", "epoll_wait: " + Posix.lastError());
                    return;
                }
                n = 0;
            }
            FrameBatch.begin(); // the frames of one round go to a stream guest with one write
            try {
                for (int i = 0; i < n && !closed; i++) {
                    long off = (long) i * EVENT_SIZE;
                    int ev = events.getInt(off);
                    long token = events.getLong(off + DATA_OFFSET);
                    if (token == WAKE_TOKEN) {
                        Posix.read(wakeFd, drain, 8);
                        continue;
                    }
                    Handler h;
                    synchronized (handlers) {
                        h = handlers.get(token);
                    }
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
