package org.qemu.helpers.slirpdhcp.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DhcpCodecTest {
    private static final Mac MAC = Mac.parse("52:54:00:12:34:56");

    @Test
    void encodeThenDecodeKeepsFieldsAndOptions() throws Exception {
        DhcpOptions o = new DhcpOptions().putU8(DhcpOption.MESSAGE_TYPE, 1).putIp(DhcpOption.REQUESTED_IP,
                Ip4.parse("10.0.2.20")).put(DhcpOption.HOSTNAME, "vm1".getBytes());
        DhcpMessage m = new DhcpMessage(1, 1, 0, 0xdeadbeef, 3, 0x8000, 0, 0, 0, 0, MAC.bytes(), o);
        byte[] wire = DhcpCodec.encode(m, 1472);
        assertEquals(300, wire.length, "padded to the BOOTP minimum");
        DhcpMessage d = DhcpCodec.decode(wire);
        assertEquals(0xdeadbeef, d.xid());
        assertTrue(d.broadcastFlag());
        assertEquals(MAC, d.mac());
        assertEquals(DhcpMessageType.DISCOVER, d.type());
        assertEquals(Ip4.parse("10.0.2.20"), d.options().ip(DhcpOption.REQUESTED_IP).orElseThrow());
        assertArrayEquals("vm1".getBytes(), d.options().get(DhcpOption.HOSTNAME).orElseThrow());
    }

    @Test
    void everyTruncationIsRejectedWithMalformed() {
        DhcpMessage m = Clients.msg(DhcpMessageType.DISCOVER, MAC, 0,
                Clients.opts().put(DhcpOption.HOSTNAME, "abcdefgh".getBytes()));
        byte[] wire = DhcpCodec.encode(m, 1472);
        int[] midOption = {241, 242, 244, 245, 246, 247, 248, 249, 250, 251, 252};
        for (int len = 0; len < 240; len++) {
            byte[] cut = Arrays.copyOf(wire, len);
            assertThrows(MalformedException.class, () -> DhcpCodec.decode(cut), "length " + len);
        }
        for (int len : midOption) {
            byte[] cut = Arrays.copyOf(wire, len);
            assertThrows(MalformedException.class, () -> DhcpCodec.decode(cut), "length " + len);
        }
    }

    @Test
    void longOptionsAreSplitAndConcatenated() throws Exception {
        byte[] big = new byte[600];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) i;
        }
        DhcpMessage m = Clients.msg(DhcpMessageType.DISCOVER, MAC, 0, Clients.opts().put(DhcpOption.DOMAIN_SEARCH, big));
        DhcpMessage d = DhcpCodec.decode(DhcpCodec.encode(m, 1472));
        assertArrayEquals(big, d.options().get(DhcpOption.DOMAIN_SEARCH).orElseThrow());
    }

    @Test
    void optionsThatDoNotFitTheClientsLimitAreLeftOut() throws Exception {
        DhcpMessage m = Clients.msg(DhcpMessageType.DISCOVER, MAC, 0,
                Clients.opts().put(DhcpOption.DOMAIN_NAME, new byte[200]).put(DhcpOption.DOMAIN_SEARCH, new byte[400]));
        byte[] wire = DhcpCodec.encode(m, 548);
        assertTrue(wire.length <= 548);
        DhcpMessage d = DhcpCodec.decode(wire);
        assertTrue(d.options().has(DhcpOption.DOMAIN_NAME));
        assertTrue(!d.options().has(DhcpOption.DOMAIN_SEARCH));
    }

    @Test
    void overloadedFileFieldIsParsed() throws Exception {
        DhcpMessage m = Clients.msg(DhcpMessageType.DISCOVER, MAC, 0, Clients.opts().putU8(DhcpOption.OVERLOAD, 1));
        byte[] wire = DhcpCodec.encode(m, 1472);
        int file = 236 - 128;
        wire[file] = (byte) DhcpOption.HOSTNAME;
        wire[file + 1] = 2;
        wire[file + 2] = 'h';
        wire[file + 3] = 'i';
        wire[file + 4] = (byte) 255;
        DhcpMessage d = DhcpCodec.decode(wire);
        assertArrayEquals("hi".getBytes(), d.options().get(DhcpOption.HOSTNAME).orElseThrow());
    }

    @Test
    void searchListUsesDnsWireNames() {
        byte[] b = DhcpCodec.encodeSearchList(List.of("vm.internal", "a.b"));
        assertArrayEquals(new byte[] {2, 'v', 'm', 8, 'i', 'n', 't', 'e', 'r', 'n', 'a', 'l', 0, 1, 'a', 1, 'b', 0}, b);
    }

    @Test
    void nonEthernetAndBadCookieAreRejected() {
        byte[] wire = DhcpCodec.encode(Clients.msg(DhcpMessageType.DISCOVER, MAC, 0, Clients.opts()), 1472);
        byte[] bad = wire.clone();
        bad[1] = 6;
        assertThrows(MalformedException.class, () -> DhcpCodec.decode(bad));
        byte[] cookie = wire.clone();
        cookie[236] = 0;
        assertThrows(MalformedException.class, () -> DhcpCodec.decode(cookie));
    }
}
