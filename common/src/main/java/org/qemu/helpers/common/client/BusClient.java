package org.qemu.helpers.common.client;

import java.nio.file.Path;
import java.util.Optional;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.qemu.helpers.common.cli.CommonOptions;
import org.qemu.helpers.common.trust.Caller;
import org.qemu.helpers.common.trust.PeerTrust;
import org.qemu.helpers.common.trust.TrustLevel;
import org.qemu.helpers.common.trust.TrustPolicy;

/** A client command's connection to the VM's bus, with the policy that rates the peers it talks to. */
public final class BusClient implements AutoCloseable {
    private final DBusConnection connection;
    private final TrustPolicy policy;
    private final Path policyFile;
    private PeerTrust trust;

    BusClient(DBusConnection connection, TrustPolicy policy, Path policyFile) {
        this.connection = connection;
        this.policy = policy;
        this.policyFile = policyFile;
    }

    public DBusConnection connection() {
        return connection;
    }

    public TrustPolicy policy() {
        return policy;
    }

    /** The peers of this bus, rated by the policy (opened on first use, closed with this client). */
    public synchronized PeerTrust trust() throws org.freedesktop.dbus.exceptions.DBusException {
        if (trust == null) {
            trust = new PeerTrust(connection, policy);
        }
        return trust;
    }

    /**
     * CONTRACT.md: a client checks who owns a name before trusting what it says. With {@code --policy} the owner must
     * rate at least {@code level}; without, it must run as this user or as root. Throws
     * {@link ClientFailure#unavailable} naming the owner and why it is not trusted.
     */
    public Caller requireOwner(String busName, TrustLevel level) throws Exception {
        Optional<Caller> owner = trust().ofOwner(busName);
        if (owner.isEmpty()) {
            throw ClientFailure.unavailable("no helper owns " + busName + " on this bus");
        }
        Caller c = owner.get();
        long me = CommonOptions.ownUid();
        boolean ok = policyFile != null ? c.has(level)
                : c.credentials().uid() == me || c.credentials().uid() == 0;
        if (!ok) {
            throw ClientFailure.unavailable("refusing to use " + busName + ": its owner (" + c.credentials().describe()
                    + ") is " + (policyFile != null ? "rated '" + c.level().wire() + "' by " + policyFile
                    : "neither this user nor root") + "; give --policy to trust it");
        }
        return c;
    }

    @Override
    public void close() throws Exception {
        try (DBusConnection c = connection) {
            if (trust != null) {
                trust.close();
            }
        }
    }
}
