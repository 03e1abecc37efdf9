package org.qemu.helpers.uiclient.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.discovery.HelperDirectory;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.common.trust.PeerTrust;
import org.qemu.helpers.common.trust.TrustPolicy;
import org.qemu.helpers.uiclient.display.UiLog;
import org.qemu.helpers.uiclient.testutil.VmDisplay;

/** The helper panel's data on a private bus, with the stand-in helpers of {@link FakeHelpers}. */
@Timeout(60)
class HelperPanelTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    @Test
    void panelReadsEachHelpersLiveDataAndBoundsWhatTheyReturn() throws Exception {
        FakeHelpers.start(BUS);
        DBusConnection c = BUS.connect();
        long uid = org.qemu.helpers.common.cli.CommonOptions.ownUid();
        try (PeerTrust trust = new PeerTrust(c, TrustPolicy.ownUidOnly(uid));
             HelperDirectory dir = HelperDirectory.open(c, trust);
             HelperPanel panel = new HelperPanel(c, dir, UiLog.stderr())) {
            panel.setDemand(() -> true);
            panel.refreshSoon();
            JsonNode[] helpers = new JsonNode[1];
            assertTrue(VmDisplay.waitFor(Duration.ofSeconds(20), () -> {
                try {
                    helpers[0] = new ObjectMapper().readTree(panel.snapshot()).path("helpers");
                    return helpers[0].size() == 3;
                } catch (java.io.IOException e) {
                    return false;
                }
            }), panel.snapshot());
            JsonNode dhcp = find(helpers[0], "org.qemu.SlirpDhcp1");
            assertEquals(64, dhcp.path("leases").size(), "at most 64 rows of 103 leases");
            assertEquals(FakeHelpers.HOSTILE_HOSTNAME, dhcp.path("leases").get(0).path("hostname").asText());
            assertEquals(256, dhcp.path("leases").get(2).path("hostname").asText().length(), "5000 chars bounded");
            assertEquals("10.0.2.2:8080", dhcp.path("flows").get(0).path("remote").asText(), "NAT flows shown");
            assertEquals("ready", dhcp.path("status").asText());
            assertEquals("admin", dhcp.path("trust").asText());
            JsonNode tpm = find(helpers[0], "org.qemu.TpmStub1");
            // issue 12: the panel read Banks (implemented) where it meant ActiveBanks (allocated), and asked for sha256
            assertEquals("sha384", tpm.path("pcrs").path("bank").asText(), tpm.toString());
            assertEquals(8, tpm.path("pcrs").path("values").size());
            assertEquals("00".repeat(47) + "03", tpm.path("pcrs").path("values").get(3).asText());
            JsonNode jobs = find(helpers[0], "org.qemu.Compress1").path("jobs");
            assertEquals(1, jobs.size());
            assertEquals("running", jobs.get(0).path("State").asText());
            assertEquals(100, jobs.get(0).path("TotalBytes").asLong());
        }
    }

    private static JsonNode find(JsonNode helpers, String bus) {
        for (JsonNode h : helpers) {
            if (bus.equals(h.path("busName").asText())) {
                return h;
            }
        }
        throw new AssertionError("no " + bus + " in " + helpers);
    }
}
