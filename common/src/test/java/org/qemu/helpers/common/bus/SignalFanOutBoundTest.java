package org.qemu.helpers.common.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.interfaces.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.cli.CommonOptions;
import org.qemu.helpers.common.discovery.Helper1;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.common.sample.Sample1;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.trust.TrustLevel;
import org.qemu.helpers.common.trust.TrustPolicy;

/**
 * A flood of signals to many entitled peers (the load run: DHCP back to back, two lease signals a lease, ~70 peers)
 * must not queue without bound nor hold back the helper's method replies: 30 peers on a real dbus-daemon, 20,000
 * signals (600,000 copies); the copies waiting never exceed the backlog bound, a method call after the flood is
 * answered within seconds, and the newest signal arrives (SignalBacklogTest: the same with a slow daemon).
 */
class SignalFanOutBoundTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @Test
    void aSignalFloodIsBoundedAndMethodRepliesStillFlow() throws Exception {
        try (HelperRuntime rt = quietRuntime("fanout", BUS.address())) {
            List<DBusConnection> peers = connect(BUS, 30);
            AtomicLong received = new AtomicLong();
            peers.get(0).addSigHandler(Sample1.ValueSet.class, s -> received.incrementAndGet());
            waitForPeers(rt, 30);

            AtomicReference<String> last = new AtomicReference<>("");
            peers.get(0).addSigHandler(Sample1.ValueSet.class, s -> last.set(value(s)));
            AtomicInteger maxBacklog = new AtomicInteger();
            Thread flood = new Thread(() -> {
                try {
                    for (int i = 0; i < 20_000; i++) {
                        rt.signals().send(new Sample1.ValueSet("/org/qemu/Sample1", "v" + i), TrustLevel.HELPER);
                        maxBacklog.accumulateAndGet(rt.signals().backlog(), Math::max);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "flood");
            flood.start();
            flood.join(60_000);
            long callStart = System.nanoTime();
            Properties helper = peers.get(1).getRemoteObject(rt.connection().getUniqueName(), Helper1.PATH,
                    Properties.class);
            helper.Get(Helper1.INTERFACE, "Status");
            double callSeconds = (System.nanoTime() - callStart) / 1e9;
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!last.get().equals("v19999") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(callSeconds < 5, "a method reply waited " + callSeconds + " s behind the signal flood");
            assertTrue(maxBacklog.get() <= Signals.MAX_BACKLOG + Signals.WINDOW, "the backlog reached "
                    + maxBacklog.get() + " copies");
            assertTrue(received.get() > 0 && received.get() <= 20_000, "peer 0 received " + received.get());
            assertEquals("v19999", last.get(), "the newest signal did not reach peer 0");
        }
    }

    /** A helper runtime of this UID on {@code address}, its log silent, as org.qemu.NAME1. */
    static HelperRuntime quietRuntime(String name, String address) throws Exception {
        HelperLog quiet = new HelperLog(name, HelperLog.Level.ERROR, new PrintStream(OutputStream.nullOutputStream()));
        String cap = Character.toUpperCase(name.charAt(0)) + name.substring(1);
        HelperIdentity id = new HelperIdentity(name, "org.qemu." + cap + "1", "signal test", null, List.of());
        return HelperRuntime.start(id, address, TrustPolicy.ownUidOnly(CommonOptions.ownUid()), Path.of("/nonexistent"),
                quiet, "test");
    }

    /** {@code n} client connections of this UID to {@code bus}. */
    static List<DBusConnection> connect(PrivateBus bus, int n) throws Exception {
        List<DBusConnection> peers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            peers.add(bus.connect());
        }
        return peers;
    }

    /** The value a ValueSet carries. */
    static String value(Sample1.ValueSet s) {
        try {
            return String.valueOf(s.getParameters()[0]);
        } catch (org.freedesktop.dbus.exceptions.DBusException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    static void waitForPeers(HelperRuntime rt, int atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (rt.signals().peers().size() < atLeast + 1 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }
}
