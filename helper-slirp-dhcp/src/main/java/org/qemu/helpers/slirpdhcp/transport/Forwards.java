package org.qemu.helpers.slirpdhcp.transport;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.slirpdhcp.engine.nat.Forward;

/**
 * The forwards in force: from the command line, AddForward/RemoveForward, and a migration's Load. Each one is a
 * bound host socket of {@link NatSockets}; the list is what ListForwards shows and what Save carries.
 */
public final class Forwards {
    /** A bound on forwards per instance, so that a caller cannot exhaust the helper's descriptors. */
    public static final int MAX = 256;

    private final NatSockets sockets;
    private final EventLog log;
    private final List<Forward> active = new ArrayList<>();

    public Forwards(NatSockets sockets, EventLog log) {
        this.sockets = sockets;
        this.log = log;
    }

    /** Binds {@code f}; returns it with the host port bound. Throws when the host side is taken or the list full. */
    public synchronized Forward add(Forward f) throws IOException {
        for (Forward a : active) {
            if (a.sameHostSide(f) && f.hostPort() != 0) {
                throw new IllegalStateException("a " + f.proto() + " forward from " + hostSide(f) + " exists");
            }
        }
        if (active.size() >= MAX) {
            throw new IllegalStateException("already " + MAX + " forwards");
        }
        Forward bound;
        try {
            bound = sockets.listen(f);
        } catch (IOException e) {
            throw new IOException("cannot bind " + hostSide(f) + ": " + e.getMessage(), e);
        }
        active.add(bound);
        log.info("forward_added", "forward", bound);
        return bound;
    }

    /** Removes the forward with this protocol, host address and port; false when there is none. */
    public synchronized boolean remove(Forward f) {
        boolean found = active.removeIf(a -> a.sameHostSide(f));
        if (found) {
            sockets.unlisten(f);
            log.info("forward_removed", "forward", f);
        }
        return found;
    }

    public synchronized List<Forward> list() {
        return List.copyOf(active);
    }

    /**
     * Makes the forwards those of a migration's state: keeps the ones in both, drops the others, binds the new.
     * A host port that cannot be bound here is logged and left out (a Load cannot fail once validated).
     */
    public synchronized void replace(List<Forward> wanted) {
        for (Forward a : List.copyOf(active)) {
            if (!wanted.contains(a)) {
                remove(a);
            }
        }
        for (Forward w : wanted) {
            if (!active.contains(w)) {
                try {
                    add(w);
                } catch (IOException | IllegalStateException e) {
                    log.warn("forward_restore_failed", "forward", w, "error", e.getMessage());
                }
            }
        }
    }

    private static String hostSide(Forward f) {
        return org.qemu.helpers.slirpdhcp.engine.Ip4.format(f.hostAddr()) + ":" + f.hostPort();
    }
}
