package org.qemu.helpers.common.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.cli.CommonOptions;
import org.qemu.helpers.common.sample.SampleHelper;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.trust.PeerTrust;
import org.qemu.helpers.common.trust.TrustLevel;
import org.qemu.helpers.common.trust.TrustPolicy;

/** The directory sees helpers come, change and go, with their owners' credentials. */
class HelperDirectoryTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void listsHelpersWithOwnerCredentialsAndFollowsThem() throws Exception {
        DBusConnection c = BUS.connect();
        PeerTrust trust = new PeerTrust(c, TrustPolicy.ownUidOnly(CommonOptions.ownUid()));
        HelperProcess first = BUS.startHelper(SampleHelper.class, "--bus-name=org.qemu.First1", "--vmstate-id=",
                "--state-dir=" + BUS.dir().resolve("1")).awaitReady(Duration.ofSeconds(30));
        try (HelperDirectory dir = HelperDirectory.open(c, trust)) {
            List<HelperDirectory.Event> events = new CopyOnWriteArrayList<>();
            dir.addListener(events::add);
            HelperInfo info = dir.find("org.qemu.First1").orElseThrow();
            assertEquals(first.pid(), info.pid());
            assertEquals(CommonOptions.ownUid(), info.uid());
            assertEquals(TrustLevel.ADMIN, info.level());
            assertEquals("ready", info.status());
            assertEquals(List.of("org.qemu.Sample1"), info.interfaces());

            String hostile = "<img src=x onerror=alert(1)>" + "x".repeat(1000);
            HelperProcess second = BUS.startHelper(SampleHelper.class, "--bus-name=org.qemu.Second1", "--vmstate-id=",
                    "--description=" + hostile, "--state-dir=" + BUS.dir().resolve("2")).awaitReady(Duration.ofSeconds(30));
            await(() -> dir.find("org.qemu.Second1").map(h -> h.status().equals("ready")).orElse(false), "second helper");
            HelperInfo s = dir.find("org.qemu.Second1").orElseThrow();
            assertEquals(HelperInfo.MAX_TEXT, s.description().length(), "untrusted text is bounded");
            assertTrue(s.description().startsWith("<img src=x"), "kept verbatim; escaping is the display's job");

            assertEquals(0, second.stop());
            await(() -> dir.find("org.qemu.Second1").isEmpty(), "second helper to leave");
            assertTrue(events.stream().anyMatch(e -> e.kind() == HelperDirectory.Event.Kind.ADDED
                    && e.helper().busName().equals("org.qemu.Second1")), events.toString());
            assertTrue(events.stream().anyMatch(e -> e.kind() == HelperDirectory.Event.Kind.REMOVED
                    && e.helper().busName().equals("org.qemu.Second1")), events.toString());
            assertEquals(List.of("org.qemu.First1"), dir.list().stream().map(HelperInfo::busName).toList());
        } finally {
            first.stop();
        }
    }
}
