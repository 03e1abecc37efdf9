package org.qemu.helpers.common.listen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qemu.helpers.common.testing.Tools;

/** The listen helper claims only nothing or a stale socket; everything else is refused, named and kept. */
class ListenTest {
    @TempDir
    Path dir;

    @Test
    void aRegularFileADirectoryAndASymlinkAreRefusedAndKept() throws Exception {
        Path file = Files.writeString(dir.resolve("precious"), "precious data");
        ListenException e = assertThrows(ListenException.class, () -> Listen.unixStream(file, 1));
        assertTrue(e.getMessage().contains(file + ": it exists and is not a socket but a regular file"), e.getMessage());
        assertEquals("precious data", Files.readString(file));

        Path sub = Files.createDirectory(dir.resolve("sub"));
        assertTrue(assertThrows(ListenException.class, () -> Listen.claimUnixPath(sub)).getMessage()
                .contains("a directory"));
        assertTrue(Files.isDirectory(sub));

        Path link = Files.createSymbolicLink(dir.resolve("link"), file);
        assertTrue(assertThrows(ListenException.class, () -> Listen.claimUnixPath(link)).getMessage()
                .contains("a symbolic link"));
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void aLiveSocketOfEitherTypeIsRefusedAndKeepsServing() throws Exception {
        Path path = dir.resolve("live.sock");
        try (ServerSocketChannel live = Listen.unixStream(path, 1)) {
            ListenException e = assertThrows(ListenException.class, () -> Listen.unixStream(path, 1));
            assertTrue(e.getMessage().contains(path + ": another process is listening there"), e.getMessage());
            try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                assertTrue(c.isConnected(), "the first listener still accepts");
            }
        }
        Path dgram = dir.resolve("live.dgram");
        // Java 17 has no Unix datagram channel: python3 binds one, as QEMU's -netdev dgram peer would
        Tools.require("python3", "python3");
        Process peer = new ProcessBuilder("python3", "-c", "import socket,sys,time\n"
                + "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.bind(sys.argv[1]); print('bound', flush=True)\n"
                + "time.sleep(60)", dgram.toString()).start();
        try {
            assertEquals("bound", new java.io.BufferedReader(new java.io.InputStreamReader(peer.getInputStream()))
                    .readLine());
            ListenException e = assertThrows(ListenException.class, () -> Listen.claimUnixPath(dgram));
            assertTrue(e.getMessage().contains("may be in use"), e.getMessage());
            assertTrue(Files.exists(dgram), "a live datagram socket is not deleted");
        } finally {
            peer.destroyForcibly().waitFor();
        }
    }

    @Test
    void aStaleSocketIsReplacedAndAnEmptyPathIsFree() throws Exception {
        Path path = dir.resolve("stale.sock");
        ServerSocketChannel old = Listen.unixStream(path, 1);
        old.close(); // the file stays: a killed run leaves it like this
        assertTrue(Files.exists(path));
        try (ServerSocketChannel again = Listen.unixStream(path, 1);
             SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            assertTrue(c.isConnected());
        }
        Listen.claimUnixPath(dir.resolve("nothing-here"));
    }

    @Test
    void aTakenTcpAddressIsAListenExceptionNamingIt() throws Exception {
        try (ServerSocketChannel taken = Listen.tcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1)) {
            int port = ((InetSocketAddress) taken.getLocalAddress()).getPort();
            ListenException e = assertThrows(ListenException.class,
                    () -> Listen.tcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1));
            assertTrue(e.getMessage().contains("cannot listen on 127.0.0.1:" + port), e.getMessage());
        }
    }
}
