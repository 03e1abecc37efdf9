package org.qemu.helpers.slirpdhcp.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.vmstate.InvalidStateException;
import org.qemu.helpers.common.vmstate.VMStateCodec;
import org.qemu.helpers.slirpdhcp.engine.DhcpEndpoint;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessage;
import org.qemu.helpers.slirpdhcp.engine.DhcpOption;
import org.qemu.helpers.slirpdhcp.engine.DhcpOptions;
import org.qemu.helpers.slirpdhcp.engine.DhcpServer;
import org.qemu.helpers.slirpdhcp.engine.LocalZone;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.Statistics;
import org.qemu.helpers.common.testing.LogLines;

/** --dbus-incoming: DHCP gets no answer until a Load was applied; a refused Load keeps the hold. */
class IncomingHoldTest {
    static DhcpMessage discover() {
        DhcpOptions o = new DhcpOptions();
        o.putU8(DhcpOption.MESSAGE_TYPE, 1);
        return new DhcpMessage(DhcpMessage.BOOTREQUEST, 1, 0, 0x1234, 0, 0, 0, 0, 0, 0,
                Mac.parse("52:54:00:aa:bb:01").bytes(), o);
    }

    @Test
    void dhcpIsHeldUntilALoadIsApplied() throws Exception {
        List<String> log = new ArrayList<>();
        NetworkConfig net = NetworkConfig.forNetwork(org.qemu.helpers.slirpdhcp.engine.Ip4.parse("10.0.2.0"), 24,
                "vm.internal");
        DhcpServer server = new DhcpServer(net, new LocalZone("vm.internal"), new Statistics(), LogLines.into(log));
        IncomingHold hold = new IncomingHold(LogLines.into(log));
        DhcpEndpoint guest = hold.wrap(DhcpEndpoint.volatileEndpoint(server, () -> 1000));
        assertTrue(guest.serve(discover()).isEmpty(), "held");
        assertTrue(guest.serve(discover()).isEmpty(), "still held");
        assertEquals(2, hold.heldMessages());
        assertEquals(1, log.stream().filter(l -> l.startsWith("dhcp_held_message")).count(), "logged once: " + log);

        List<String> applied = new ArrayList<>();
        VMStateCodec<String> codec = hold.releasingOnLoad(new VMStateCodec<>() {
            @Override
            public int payloadVersion() {
                return 1;
            }

            @Override
            public byte[] save() {
                return new byte[0];
            }

            @Override
            public String decode(byte[] payload, int v) throws InvalidStateException {
                if (payload.length == 0) {
                    throw new InvalidStateException("empty");
                }
                return "state";
            }

            @Override
            public void apply(String decoded) {
                applied.add(decoded);
            }
        });
        assertThrows(InvalidStateException.class, () -> codec.decode(new byte[0], 1));
        assertTrue(hold.holding(), "a refused Load changes nothing");
        codec.apply(codec.decode(new byte[] {1}, 1));
        assertEquals(List.of("state"), applied);
        assertFalse(hold.holding());
        assertTrue(guest.serve(discover()).isPresent(), "answered after the Load");
        assertTrue(log.stream().anyMatch(l -> l.startsWith("dhcp_released after=vmstate-load held_messages=2")),
                log.toString());
    }
}
