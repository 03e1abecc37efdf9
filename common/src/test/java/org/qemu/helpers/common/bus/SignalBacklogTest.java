package org.qemu.helpers.common.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.interfaces.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.discovery.Helper1;
import org.qemu.helpers.common.sample.Sample1;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.SlowBusLink;
import org.qemu.helpers.common.trust.TrustLevel;

/**
 * The load run's failure, small: a helper whose bus daemon reads slowly (a relay passing 64 KiB/s, about 300
 * signal copies a second, where a loaded dbus-daemon read ~1,500) while it makes signals for 30 entitled peers as
 * fast as it can (DHCP back to back). Its method replies must not wait behind the copies (they waited 20 s behind
 * 30,365 of them), the newest signal must still arrive (the oldest are the ones dropped), and copies the daemon
 * cannot deliver (a peer that left) must not pile up as errors in the helper.
 */
class SignalBacklogTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @Test
    void aSlowBusDelaysNoReplyAndTheNewestSignalArrives() throws Exception {
        try (SlowBusLink slow = new SlowBusLink(BUS, 64 * 1024);
             HelperRuntime rt = SignalFanOutBoundTest.quietRuntime("backlog", slow.address())) {
            List<DBusConnection> peers = SignalFanOutBoundTest.connect(BUS, 30);
            AtomicReference<String> last = new AtomicReference<>("");
            AtomicInteger received = new AtomicInteger();
            peers.get(0).addSigHandler(Sample1.ValueSet.class, s -> {
                received.incrementAndGet();
                last.set(SignalFanOutBoundTest.value(s));
            });
            SignalFanOutBoundTest.waitForPeers(rt, 30);

            AtomicBoolean flooding = new AtomicBoolean(true);
            AtomicInteger made = new AtomicInteger();
            Thread flood = new Thread(() -> {
                try {
                    while (flooding.get()) {
                        rt.signals().send(new Sample1.ValueSet("/org/qemu/Sample1", "v" + made.getAndIncrement()),
                                TrustLevel.HELPER);
                        if (made.get() % 64 == 0) {
                            Thread.sleep(1); // ~40,000 copies a second: far more than the link carries
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "flood");
            flood.start();
            Thread.sleep(3000);
            peers.get(29).close(); // copies already queued for it cannot be delivered
            Thread.sleep(1000);
            Properties helper = peers.get(1).getRemoteObject(rt.connection().getUniqueName(), Helper1.PATH,
                    Properties.class);
            double[] calls = new double[3];
            for (int i = 0; i < calls.length; i++) {
                long t0 = System.nanoTime();
                helper.Get(Helper1.INTERFACE, "Status");
                calls[i] = (System.nanoTime() - t0) / 1e9;
            }
            flooding.set(false);
            flood.join(10_000);
            String newest = "v" + (made.get() - 1);
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!last.get().equals(newest) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            double worst = Math.max(calls[0], Math.max(calls[1], calls[2]));
            assertTrue(worst < 2, "a method reply waited " + worst + " s behind the signal copies ("
                    + made.get() + " signals made)");
            assertEquals(newest, last.get(), "the newest signal did not reach peer 0 (" + received.get()
                    + " of " + made.get() + " did)");
            assertTrue(rt.signals().dropped() > 0, made.get() + " signals over a slow link: none dropped");
            long drainEnd = System.nanoTime() + 20_000_000_000L;
            while (rt.signals().backlog() > 0 && System.nanoTime() < drainEnd) {
                Thread.sleep(50);
            }
            Thread.sleep(3 * Signals.DRAIN_MILLIS); // the daemon's last errors arrive, and the pump takes them
            assertNull(rt.connection().getError(), "the daemon's errors for undeliverable copies piled up ("
                    + rt.signals().undeliverable() + " drained)");
        }
    }

    @Test
    void waitingPropertiesChangedAreMergedNotDropped() throws Exception {
        try (SlowBusLink slow = new SlowBusLink(BUS, 32 * 1024);
             HelperRuntime rt = SignalFanOutBoundTest.quietRuntime("backlog2", slow.address())) {
            List<DBusConnection> peers = SignalFanOutBoundTest.connect(BUS, 30);
            AtomicReference<java.util.Map<String, org.freedesktop.dbus.types.Variant<?>>> seen =
                    new AtomicReference<>(new java.util.HashMap<>());
            peers.get(0).addSigHandler(Properties.PropertiesChanged.class, s -> {
                if (s.getPath().equals("/org/qemu/Sample1")) {
                    java.util.Map<String, org.freedesktop.dbus.types.Variant<?>> m = new java.util.HashMap<>(seen.get());
                    m.putAll(s.getPropertiesChanged());
                    seen.set(m);
                }
            });
            SignalFanOutBoundTest.waitForPeers(rt, 30);
            int n = 5_000;
            for (int i = 0; i < n; i++) {
                String name = i % 2 == 0 ? "Even" : "Odd";
                var values = java.util.Map.<String, org.freedesktop.dbus.types.Variant<?>>of(name,
                        new org.freedesktop.dbus.types.Variant<>(i));
                Properties.PropertiesChanged pc = new Properties.PropertiesChanged("/org/qemu/Sample1",
                        "org.qemu.Sample1", values, List.of());
                rt.signals().sendEach(c -> pc, "Sample1 PropertiesChanged");
            }
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!(isInt(seen.get().get("Even"), n - 2) && isInt(seen.get().get("Odd"), n - 1))
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(isInt(seen.get().get("Even"), n - 2) && isInt(seen.get().get("Odd"), n - 1),
                    "peer 0's last values: " + seen.get());
            assertTrue(rt.signals().coalesced() > 0, "nothing was merged over a slow link");
            assertEquals(0, rt.signals().dropped(), "PropertiesChanged were dropped, not merged");
        }
    }

    @Test
    void theDaemonsErrorsForCopiesNobodyReceivesAreDrained() throws Exception {
        try (HelperRuntime rt = SignalFanOutBoundTest.quietRuntime("undeliverable", BUS.address())) {
            byte endian = rt.connection().getMessageFactory().getEndianess();
            int n = 200;
            for (int i = 0; i < n; i++) { // a unique name the daemon never gave out: a peer that left, for sure
                rt.connection().sendMessage(new UnicastSignal(endian,
                        new Sample1.ValueSet("/org/qemu/Sample1", "v" + i), ":1.999999", () -> { }));
            }
            long end = System.nanoTime() + 10_000_000_000L;
            while (rt.signals().undeliverable() < n && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertEquals(n, rt.signals().undeliverable(), "the daemon's NameHasNoOwner errors, drained");
            assertNull(rt.connection().getError(), "an error was left in dbus-java's queue");
        }
    }

    private static boolean isInt(org.freedesktop.dbus.types.Variant<?> v, int want) {
        return v != null && v.getValue() instanceof Number n && n.intValue() == want;
    }
}
