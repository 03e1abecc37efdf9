package org.qemu.helpers.slirpdhcp.store;

import org.freedesktop.dbus.utils.NameableThreadFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.qemu.helpers.common.health.Health;
import org.qemu.helpers.slirpdhcp.engine.DhcpEndpoint;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessage;
import org.qemu.helpers.slirpdhcp.engine.DhcpOutcome;
import org.qemu.helpers.slirpdhcp.engine.DhcpReply;
import org.qemu.helpers.slirpdhcp.engine.DhcpServer;
import org.qemu.helpers.slirpdhcp.engine.MalformedException;
import org.qemu.helpers.slirpdhcp.engine.NetState;
import org.qemu.helpers.slirpdhcp.engine.StateChange;
import org.qemu.helpers.common.log.EventLog;

/**
 * The DHCP engine made durable: every state change is journalled and synced before the reply that depends on it
 * goes out (write ahead, then answer), and listeners (D-Bus signals, logs) hear of it after. Handling and appending
 * happen under one lock so that the journal order is the engine order; the fsync happens outside it, shared by
 * concurrent callers and by batches.
 */
public final class DurableDhcp implements DhcpEndpoint {
    /** The degraded condition while the lease journal cannot be written. */
    public static final String JOURNAL_CONDITION = "lease-journal";

    private final DhcpServer server;
    private final LeaseStore store; // null: volatile (no state directory)
    private final LongSupplier nowSeconds;
    private final org.qemu.helpers.slirpdhcp.engine.Statistics stats;
    private final EventLog log;
    private final List<Consumer<StateChange>> listeners = new CopyOnWriteArrayList<>();
    private volatile Health health = Health.NONE;
    private final Object order = new Object();
    /** Listeners (signals, logs) run here, in commit order, off the thread that answers clients. */
    private final java.util.concurrent.ExecutorService notifier = java.util.concurrent.Executors.newSingleThreadExecutor(
            new NameableThreadFactory("lease-events-", true));

    public DurableDhcp(DhcpServer server, LeaseStore store, LongSupplier nowSeconds,
                       org.qemu.helpers.slirpdhcp.engine.Statistics stats, EventLog log) {
        this.server = server;
        this.stats = stats;
        this.store = store;
        this.nowSeconds = nowSeconds;
        this.log = log;
    }

    public DhcpServer server() {
        return server;
    }

    public void addListener(Consumer<StateChange> l) {
        listeners.add(l);
    }

    /** Told while the journal cannot be written (replies withheld, admin changes refused) and when it can again. */
    public void setHealth(Health health) {
        this.health = health;
    }

    private void journalFailed(IOException e) {
        health.degraded(JOURNAL_CONDITION, e.getMessage() + "; DHCP replies are withheld until it can be written");
    }

    @Override
    public Optional<DhcpReply> serve(DhcpMessage m) {
        return serveBatch(List.of(m)).get(0);
    }

    /**
     * Serves several messages with one fsync, replies in order. A message the engine refuses as malformed gets no
     * reply and is counted ({@code dropped_malformed}).
     */
    public List<Optional<DhcpReply>> serveBatch(List<DhcpMessage> msgs) {
        return complete(prepare(msgs));
    }

    /** A handled batch whose changes are appended to the journal but maybe not yet on disk. */
    public record Prepared(List<Optional<DhcpReply>> replies, List<StateChange> changes, long seq,
                           IOException error) {
    }

    /**
     * First half of {@link #serveBatch}: handles the messages and appends their changes, in engine order. The
     * replies must not be sent before {@link #complete} returns them.
     */
    public Prepared prepare(List<DhcpMessage> msgs) {
        List<Optional<DhcpReply>> replies = new ArrayList<>(msgs.size());
        List<StateChange> all = new ArrayList<>();
        synchronized (order) {
            long now = nowSeconds.getAsLong();
            for (DhcpMessage m : msgs) {
                try {
                    DhcpOutcome o = server.handle(m, now);
                    all.addAll(o.changes());
                    replies.add(o.reply());
                } catch (MalformedException e) {
                    stats.inc(org.qemu.helpers.slirpdhcp.engine.Statistics.DROPPED_MALFORMED);
                    replies.add(Optional.empty());
                }
            }
            try {
                long seq = store == null ? 0 : store.append(all, server::snapshot);
                return new Prepared(replies, all, seq, null);
            } catch (IOException e) {
                return new Prepared(replies, all, 0, e);
            }
        }
    }

    /** Second half: waits until the batch is durable (one fsync shared with other batches), then hands out replies. */
    public List<Optional<DhcpReply>> complete(Prepared p) {
        IOException err = p.error();
        if (err == null && store != null) {
            try {
                store.sync(p.seq());
            } catch (IOException e) {
                err = e;
            }
        }
        if (err != null) {
            log.error("journal_failed", "error", err.getMessage(), "action", "replies_withheld");
            journalFailed(err);
            List<Optional<DhcpReply>> none = new ArrayList<>();
            p.replies().forEach(r -> none.add(Optional.empty()));
            return none;
        }
        if (store != null && !p.changes().isEmpty()) {
            store.order().record(org.qemu.helpers.common.store.WriteOrder.Step.REPLY, p.seq());
            health.recovered(JOURNAL_CONDITION);
        }
        publish(p.changes());
        return p.replies();
    }

    /** Runs an administrative change (static lease, host record) durably; engine exceptions pass through. */
    public List<StateChange> admin(java.util.function.Function<DhcpServer, List<StateChange>> op) throws IOException {
        List<StateChange> changes;
        long seq;
        synchronized (order) {
            changes = op.apply(server);
            try {
                seq = store == null ? 0 : store.append(changes, server::snapshot);
            } catch (IOException e) {
                journalFailed(e);
                throw e;
            }
        }
        if (store != null) {
            try {
                store.sync(seq);
            } catch (IOException e) {
                journalFailed(e);
                throw e;
            }
            if (!changes.isEmpty()) {
                store.order().record(org.qemu.helpers.common.store.WriteOrder.Step.REPLY, seq);
                health.recovered(JOURNAL_CONDITION);
            }
        }
        publish(changes);
        return changes;
    }

    /** Ends expired leases durably (called periodically). */
    public void expire() throws IOException {
        admin(s -> s.expire(nowSeconds.getAsLong()));
    }

    /** Replaces the whole state (VMState Load) and makes it durable as a fresh snapshot. */
    public void replace(NetState state) throws IOException {
        List<StateChange> changes = new ArrayList<>();
        synchronized (order) {
            NetState before = server.snapshot();
            server.restore(state);
            before.leases().forEach(l -> changes.add(new StateChange.LeaseEnded(l, "replaced")));
            server.snapshot().leases().forEach(l -> changes.add(new StateChange.LeaseBound(l, true)));
            if (store != null) {
                store.compact(server.snapshot());
            }
        }
        publish(changes);
    }

    public NetState snapshot() {
        synchronized (order) {
            return server.snapshot();
        }
    }

    private void publish(List<StateChange> changes) {
        if (changes.isEmpty() || listeners.isEmpty()) {
            return;
        }
        try {
            notifier.execute(() -> deliver(changes));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // shutting down
        }
    }

    /** Stops delivering events after those already queued. */
    public void close() {
        notifier.shutdown();
        try {
            notifier.awaitTermination(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void deliver(List<StateChange> changes) {
        for (StateChange c : changes) {
            for (Consumer<StateChange> l : listeners) {
                try {
                    l.accept(c);
                } catch (RuntimeException e) {
                    log.error("listener_failed", "error", e);
                }
            }
        }
    }
}
