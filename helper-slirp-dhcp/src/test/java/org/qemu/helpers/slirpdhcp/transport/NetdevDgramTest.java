package org.qemu.helpers.slirpdhcp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qemu.helpers.slirpdhcp.Settings;
import org.qemu.helpers.slirpdhcp.SlirpCore;
import org.qemu.helpers.slirpdhcp.engine.DhcpMessageType;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;
import org.qemu.helpers.slirpdhcp.engine.frame.Frames;
import org.qemu.helpers.common.testing.LogLines;

/**
 * The {@code -netdev dgram} front end with a Unix datagram peer of its own, bound the way QEMU binds local.path:
 * replies go to the last sender, bad and oversized datagrams are counted, a peer that stops reading costs drops,
 * and a path holding something other than a socket is refused and left as it was.
 */
class NetdevDgramTest {
    @TempDir
    Path dir;
    SlirpCore core;
    final List<Integer> fds = new ArrayList<>();
    final List<String> logs = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void stop() {
        if (core != null) {
            core.close();
        }
        fds.forEach(Posix::close);
    }

    SlirpCore start(Path sock) throws IOException {
        core = SlirpCore.start(new Settings(NetworkConfig.slirpDefaults("vm.internal"), dir.resolve("state"),
                new Settings.Guest.NetdevDgram(sock), null, 0, 0, List.of(), Duration.ofMillis(500)),
                LogLines.into(logs));
        return core;
    }

    /** A datagram socket bound at {@code path}, as QEMU binds its local.path. */
    int peer(Path path) {
        int fd = Posix.socket(Posix.AF_UNIX, Posix.SOCK_DGRAM | Posix.SOCK_CLOEXEC, 0);
        fds.add(fd);
        assertEquals(0, Posix.bind(fd, Posix.unixAddress(path.toString()), Posix.unixAddressLength(path.toString())),
                Posix.lastError());
        return fd;
    }

    static long sendTo(int fd, Path to, byte[] b) {
        Memory m = new Memory(Math.max(1, b.length));
        m.write(0, b, 0, b.length);
        return Posix.sendto(fd, m, b.length, Posix.MSG_DONTWAIT, Posix.unixAddress(to.toString()),
                Posix.unixAddressLength(to.toString()));
    }

    @Test
    void repliesGoToTheLastSenderAndBadDatagramsAreCounted() throws Exception {
        Path sock = dir.resolve("h.dgram");
        Files.createFile(sock.resolveSibling("unrelated")); // nothing else in the directory is touched
        start(sock);
        int a = peer(dir.resolve("a.dgram"));
        assertEquals(0, sendTo(a, sock, new byte[0]));
        assertEquals(3, sendTo(a, sock, new byte[] {1, 2, 3}));
        byte[] huge = new byte[Frames.MAX_FRAME + 10];
        assertEquals(huge.length, sendTo(a, sock, huge));
        byte[] d = FdFrontEndTest.discoverFrame();
        sendTo(a, sock, d);
        byte[] r = FdFrontEndTest.receive(a, Frames.MAX_FRAME, 5000);
        assertNotNull(r, logs + " " + core.stats().snapshot());
        assertEquals(DhcpMessageType.OFFER, FdFrontEndTest.dhcpType(r));
        assertEquals(1, core.stats().get(PacketFrontEnd.DROPPED_OVERSIZE), core.stats().snapshot().toString());
        // QEMU restarted with another local.path: answers follow the new sender
        int b = peer(dir.resolve("b.dgram"));
        sendTo(b, sock, d);
        assertEquals(DhcpMessageType.OFFER, FdFrontEndTest.dhcpType(FdFrontEndTest.receive(b, Frames.MAX_FRAME, 5000)));
        assertEquals(null, FdFrontEndTest.receive(a, Frames.MAX_FRAME, 200));
        assertTrue(Files.exists(sock.resolveSibling("unrelated")));
    }

    @Test
    void aPeerThatStopsReadingCostsDropsNotABlockedReader() throws Exception {
        Path sock = dir.resolve("h.dgram");
        start(sock);
        int a = peer(dir.resolve("a.dgram"));
        byte[] d = FdFrontEndTest.discoverFrame();
        int n = 2000;
        for (int i = 0; i < n; i++) {
            while (sendTo(a, sock, d) < 0) {
                Thread.sleep(1); // the helper's receive queue is full: it is still reading
            }
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (core.stats().get("frames_in") < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(n, core.stats().get("frames_in"), core.stats().snapshot().toString());
        assertTrue(core.stats().get(PacketFrontEnd.DROPPED_PEER_BUSY) > n / 2, core.stats().snapshot().toString());
    }

    @Test
    void aRegularFileAtThePathIsRefusedAndKept() throws Exception {
        Path file = dir.resolve("precious");
        Files.writeString(file, "data");
        IOException e = assertThrows(IOException.class, () -> start(file));
        assertTrue(e.getMessage().contains("exists and is not a socket"), e.getMessage());
        assertEquals("data", Files.readString(file));
        core = null;
        // a live socket is refused and kept; once its process is gone (a stale socket from an earlier run) it is replaced
        Path sock = dir.resolve("stale.dgram");
        int live = peer(sock);
        IOException inUse = assertThrows(IOException.class, () -> start(sock));
        assertTrue(inUse.getMessage().contains(sock + ": a socket that may be in use"), inUse.getMessage());
        core = null;
        Posix.close(live);
        fds.remove((Integer) live);
        start(sock);
        int a = peer(dir.resolve("a.dgram"));
        sendTo(a, sock, FdFrontEndTest.discoverFrame());
        assertNotNull(FdFrontEndTest.receive(a, Frames.MAX_FRAME, 5000));
    }
}
