package org.qemu.helpers.common.bus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.sample.Sample1;
import org.qemu.helpers.common.testing.AsUid;
import org.qemu.helpers.common.testing.DenialFlood;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.testing.ProcResult;
import org.qemu.helpers.common.testing.SlowBusLink;
import org.qemu.helpers.common.trust.DenialBudget;
import org.qemu.helpers.common.trust.TrustLevel;

/**
 * A pipelining untrusted peer (uid 65534, a process of its own) against a helper whose bus daemon reads slowly:
 * its denials must not queue ahead of a trusted caller's replies (the load bench: trusted p99 from 1.1 s to 3.4 s
 * with 2,048 denied calls outstanding), and denied calls it flagged NO_REPLY_EXPECTED get no error at all.
 */
class DenialBudgetOnBusTest {
    static final long NOBODY = 65534;

    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    /** Sample1 behind the gate of {@code rt}: SetValue needs admin, which uid 65534 is not (own-UID policy). */
    static void exportSample(HelperRuntime rt) {
        String[] value = {"original"};
        Sample1 impl = new Sample1() {
            @Override
            public String GetValue() {
                return value[0];
            }

            @Override
            public void SetValue(String v) {
                value[0] = v;
            }

            @Override
            public String getObjectPath() {
                return "/org/qemu/Sample1";
            }
        };
        rt.export("/org/qemu/Sample1", Sample1.class, impl, new PropertyTable("org.qemu.Sample1")
                .readOnly("Value", "s", () -> value[0])
                .writable("Note", "s", () -> "", v -> { }, TrustLevel.HELPER, TrustLevel.ADMIN));
    }

    static long field(String out, String name) {
        Matcher m = Pattern.compile("\\b" + Pattern.quote(name) + "=(\\d+)").matcher(out);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    @Test
    void deniedNoReplyCallsGetNoErrorOnTheWire() throws Exception {
        try (HelperRuntime rt = SignalFanOutBoundTest.quietRuntime("noreply", BUS.address())) {
            exportSample(rt);
            ProcResult r = AsUid.java(NOBODY, Duration.ofSeconds(60), DenialFlood.class, BUS.address(),
                    rt.connection().getUniqueName(), "noreply", "2", "64", "3");
            String out = r.stdout();
            assertTrue(r.ok() && field(out, "sent") > 0, r.toString());
            assertEquals(0, field(out, "unsolicited_errors"), "errors reached the caller for NO_REPLY_EXPECTED calls: "
                    + out);
            assertTrue(out.contains("org.freedesktop.DBus.Error.AccessDenied="), "the awaited calls were not refused: "
                    + out);
            assertEquals(field(out, "sent"), rt.gate().silenced(), out);
        }
    }

    @Test
    void aPipelinedFloodDoesNotDelayATrustedReplyAndIsCutOffPastItsBudget() throws Exception {
        try (SlowBusLink slow = new SlowBusLink(BUS, 32 * 1024);
             HelperRuntime rt = SignalFanOutBoundTest.quietRuntime("pipe", slow.address())) {
            exportSample(rt);
            DBusConnection trusted = BUS.connect();
            Sample1 sample = trusted.getRemoteObject(rt.connection().getUniqueName(), "/org/qemu/Sample1",
                    Sample1.class);
            sample.GetValue();
            java.util.concurrent.CompletableFuture<ProcResult> flood = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> {
                        try {
                            return AsUid.java(NOBODY, Duration.ofSeconds(60), DenialFlood.class, BUS.address(),
                                    rt.connection().getUniqueName(), "pipe", "4", "128", "8");
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
            Thread.sleep(3000); // the flood is under way (its JVM started, 512 calls outstanding)
            double worst = 0;
            for (int i = 0; i < 10; i++) {
                long t0 = System.nanoTime();
                sample.SetValue("trusted-" + i);
                worst = Math.max(worst, (System.nanoTime() - t0) / 1e9);
                Thread.sleep(200);
            }
            assertEquals("trusted-9", sample.GetValue());
            ProcResult r = flood.get(90, java.util.concurrent.TimeUnit.SECONDS);
            String out = r.stdout();
            // 32 KiB/s carries ~130 denials a second: 512 queued ahead of a reply were ~4 s, 64 are ~0.5 s
            assertTrue(worst < 1.5, "a trusted call waited " + worst + " s behind the flood's denials: " + out);
            assertTrue(rt.gate().budget().withheld() > 0, "nothing withheld: " + out);
            assertTrue(field(out, "none") > 0, "every flooded call got an answer: " + out);
            assertTrue(rt.withheldDropped() > 0, "no withheld error reached the writer");
            assertTrue(rt.gate().budget().queued() <= DenialBudget.TOTAL, "queued " + rt.gate().budget().queued());
        }
    }
}
