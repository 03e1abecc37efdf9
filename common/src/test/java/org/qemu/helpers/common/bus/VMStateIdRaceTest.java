package org.qemu.helpers.common.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.interfaces.DBus;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.Variant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.trust.TrustPolicy;
import org.qemu.helpers.common.vmstate.VMState1;
import org.qemu.helpers.common.vmstate.VMStateCodec;

/**
 * Two helpers with one VMState Id started at the same instant (a barrier before they queue for
 * org.qemu.VMState1), 50 times on a real dbus-daemon: exactly one of them stays queued, the other
 * fails to start, as QEMU 7.2 aborts a migration with two helpers of one Id.
 */
class VMStateIdRaceTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();
    static final int ROUNDS = 50;

    @Test
    void twoHelpersOfOneIdStartedTogetherLeaveExactlyOneQueued() throws Exception {
        HelperLog quiet = new HelperLog("race", HelperLog.Level.ERROR, new PrintStream(OutputStream.nullOutputStream()));
        TrustPolicy policy = TrustPolicy.ownUidOnly(uid());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Integer> perRound = new ArrayList<>();
        try (DBusConnection observer = BUS.connect()) {
            DBus daemon = observer.getRemoteObject("org.freedesktop.DBus", "/org/freedesktop/DBus", DBus.class);
            for (int round = 0; round < ROUNDS; round++) {
                CyclicBarrier together = new CyclicBarrier(2);
                List<Future<HelperRuntime>> starts = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    HelperIdentity id = new HelperIdentity("race" + i, "org.qemu.Race" + i, "race " + i, "same-id",
                            List.of());
                    starts.add(pool.submit(() -> {
                        HelperRuntime rt = HelperRuntime.start(id, BUS.address(), policy, Path.of("/nonexistent"),
                                quiet, "test");
                        rt.serveVMState(new Empty());
                        together.await(10, TimeUnit.SECONDS);
                        try {
                            rt.ready(); // owns the name and queues for org.qemu.VMState1
                            return rt;
                        } catch (StartupException e) {
                            rt.close();
                            return null;
                        }
                    }));
                }
                List<HelperRuntime> up = new ArrayList<>();
                for (Future<HelperRuntime> f : starts) {
                    HelperRuntime rt = f.get(60, TimeUnit.SECONDS);
                    if (rt != null) {
                        up.add(rt);
                    }
                }
                int sameId = 0;
                for (String owner : daemon.ListQueuedOwners(VMState1.BUS_NAME)) {
                    Map<String, Variant<?>> all = observer.getRemoteObject(owner, VMState1.PATH, Properties.class)
                            .GetAll(VMState1.INTERFACE);
                    if ("same-id".equals(all.get("Id").getValue())) {
                        sameId++;
                    }
                }
                perRound.add(sameId * 10 + up.size());
                for (HelperRuntime rt : up) {
                    rt.close();
                }
            }
        } finally {
            pool.shutdownNow();
        }
        // per round: queued owners of the Id (tens) and helpers that started (units); 11 = one of each
        assertEquals(java.util.Collections.nCopies(ROUNDS, 11), perRound, "queued*10 + started, per round");
    }

    private static long uid() throws Exception {
        return (Integer) java.nio.file.Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    /** A codec with nothing to migrate. */
    private static final class Empty implements VMStateCodec<byte[]> {
        public int payloadVersion() {
            return 1;
        }

        public byte[] save() {
            return new byte[0];
        }

        public byte[] decode(byte[] payload, int version) {
            return payload;
        }

        public void apply(byte[] decoded) {
        }
    }
}
