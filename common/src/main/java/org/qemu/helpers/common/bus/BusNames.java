package org.qemu.helpers.common.bus;

import java.util.Map;
import java.util.Optional;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBus;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;
import org.qemu.helpers.common.trust.Caller;
import org.qemu.helpers.common.trust.PeerTrust;
import org.qemu.helpers.common.vmstate.VMState1;

/**
 * Name ownership with the flags the contract needs (dbus-java's requestBusName always
 * replaces and never queues): the helper's own name without queueing, and org.qemu.VMState1
 * queued, leaving the queue when an owner ahead of us has our Id (QEMU 7.2 aborts a migration
 * when two helpers share one).
 */
final class BusNames {
    private static final int DO_NOT_QUEUE = 4;
    private static final int PRIMARY_OWNER = 1;
    private static final int IN_QUEUE = 2;
    private static final int ALREADY_OWNER = 4;

    private final DBusConnection connection;
    private final DBus daemon;
    private final PeerTrust trust;

    BusNames(DBusConnection connection, PeerTrust trust) throws DBusException {
        this.connection = connection;
        this.trust = trust;
        this.daemon = connection.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
    }

    /** Owns {@code name} without queueing; fails naming the current owner when it is taken. */
    void own(String name) throws StartupException {
        int reply;
        try {
            reply = daemon.RequestName(name, new UInt32(DO_NOT_QUEUE)).intValue();
        } catch (DBusExecutionException e) {
            throw new StartupException("cannot request bus name " + name + ": " + e.getMessage());
        }
        if (reply != PRIMARY_OWNER && reply != ALREADY_OWNER) {
            throw new StartupException("bus name " + name + " is already owned by " + describeOwner(name)
                    + "; stop that helper first or give this one another bus");
        }
    }

    /**
     * Queues for org.qemu.VMState1, then gives the place up again when an owner queued ahead of
     * us serves {@code id}. Queueing first makes the check atomic: of two helpers with one Id
     * started together, both queue, the daemon orders them (ListQueuedOwners lists the primary
     * owner first, then the queue in order), and only the later one finds the earlier one ahead.
     * Checking before queueing let both see an empty queue and both queue.
     */
    void queueVMState(String id) throws StartupException {
        int reply = daemon.RequestName(VMState1.BUS_NAME, new UInt32(0)).intValue();
        if (reply != PRIMARY_OWNER && reply != IN_QUEUE && reply != ALREADY_OWNER) {
            throw new StartupException("cannot queue for " + VMState1.BUS_NAME + " (RequestName reply " + reply + ")");
        }
        String[] queued;
        try {
            queued = daemon.ListQueuedOwners(VMState1.BUS_NAME);
        } catch (DBusExecutionException e) {
            release(VMState1.BUS_NAME);
            throw new StartupException("cannot list the owners of " + VMState1.BUS_NAME + ": " + e.getMessage());
        }
        for (String owner : queued) {
            if (owner.equals(connection.getUniqueName())) {
                return; // the owners behind us find us ahead of them
            }
            if (id.equals(idOf(owner).orElse(null))) {
                release(VMState1.BUS_NAME);
                throw new StartupException("VMState Id '" + id + "' is already queued for " + VMState1.BUS_NAME + " by "
                        + describe(owner) + "; QEMU 7.2 aborts a migration with two helpers of one Id");
            }
        }
    }

    /** Releases {@code name}; errors are ignored (we are leaving anyway). */
    void release(String name) {
        try {
            daemon.ReleaseName(name);
        } catch (RuntimeException e) {
            // the bus may already be gone
        }
    }

    private Optional<String> idOf(String uniqueName) {
        try {
            Properties p = connection.getRemoteObject(uniqueName, VMState1.PATH, Properties.class);
            Map<String, Variant<?>> all = p.GetAll(VMState1.INTERFACE);
            Variant<?> v = all.get("Id");
            return v != null && v.getValue() instanceof String s ? Optional.of(s) : Optional.empty();
        } catch (DBusException | RuntimeException e) {
            return Optional.empty(); // QEMU skips owners without a readable Id too
        }
    }

    private String describeOwner(String name) {
        try {
            return describe(daemon.GetNameOwner(name));
        } catch (RuntimeException e) {
            return "another peer";
        }
    }

    private String describe(String uniqueName) {
        try {
            Caller c = trust.classify(uniqueName);
            return uniqueName + " (pid " + c.credentials().pid() + ", uid " + c.credentials().uid() + ")";
        } catch (PeerTrust.PeerUnknownException e) {
            return uniqueName;
        }
    }
}
