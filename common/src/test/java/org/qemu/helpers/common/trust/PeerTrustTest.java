package org.qemu.helpers.common.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.bus.HelperRuntime;
import org.qemu.helpers.common.cli.CommonOptions;
import org.qemu.helpers.common.sample.SampleHelper;
import org.qemu.helpers.common.testing.PrivateBus;

/** Credentials come from the bus daemon, are cached per unique name and dropped when the peer leaves. */
class PeerTrustTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @Test
    void credentialsAreCachedAndDroppedWhenThePeerLeaves() throws Exception {
        DBusConnection self = BUS.connect();
        DBusConnection peer = BUS.connect();
        try (PeerTrust trust = new PeerTrust(self, TrustPolicy.ownUidOnly(CommonOptions.ownUid()))) {
            Caller c = trust.classify(peer.getUniqueName());
            assertEquals(ProcessHandle.current().pid(), c.credentials().pid());
            assertEquals(CommonOptions.ownUid(), c.credentials().uid());
            assertTrue(c.credentials().gids().contains(0L) || CommonOptions.ownUid() != 0, c.toString());
            assertEquals(TrustLevel.ADMIN, c.level());
            assertEquals(1, trust.cachedPeers());
            peer.disconnect();
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (trust.cachedPeers() != 0 && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertEquals(0, trust.cachedPeers(), "entry dropped on NameOwnerChanged");
            assertThrows(PeerTrust.PeerUnknownException.class, () -> trust.classify(":1.9999"));
        }
    }

    @Test
    void ownerOfANameIsClassifiedForClients() throws Exception {
        HelperRuntime rt = new SampleHelper().startInProcess("--bus-address=" + BUS.address(), "--bus-name=org.qemu.InProc1",
                "--vmstate-id=", "--state-dir=" + BUS.dir().resolve("inproc"));
        try (PeerTrust trust = new PeerTrust(BUS.connect(), TrustPolicy.ownUidOnly(CommonOptions.ownUid() + 1))) {
            Caller owner = trust.ofOwner("org.qemu.InProc1").orElseThrow();
            assertEquals(TrustLevel.UNTRUSTED, owner.level(), "another uid's policy sees this owner as untrusted");
            assertTrue(trust.ofOwner("org.qemu.Nobody1").isEmpty());
        } finally {
            rt.close();
        }
    }
}
