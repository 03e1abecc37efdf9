package org.qemu.helpers.common.listen;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The one way a helper opens a listener. A Unix socket path is claimed only when nothing is there or
 * a stale socket is (nobody accepts on it: a previous run that was killed); a regular file, a
 * directory, a symlink or a socket someone listens on is refused with a {@link ListenException}
 * naming it, and never deleted. A taken TCP/UDP address is a ListenException too, so every helper
 * exits with the same code for it.
 */
public final class Listen {
    private Listen() {
    }

    /**
     * Makes {@code path} free for bind(2): returns when nothing is there, removes a stale socket, and
     * refuses anything else. The socket type does not matter: a stream probe of a live datagram
     * socket fails with EPROTOTYPE (in use), of a stale one of either type with ECONNREFUSED.
     */
    public static void claimUnixPath(Path path) throws ListenException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new ListenException("cannot listen on " + path + ": " + e.getMessage(), e);
        }
        if (!a.isOther() || !isSocket(path)) {
            throw new ListenException("cannot listen on " + path + ": it exists and is not a socket but " + kind(a)
                    + "; refusing to replace it (remove it or choose another path)");
        }
        String live = liveSocket(path);
        if (live != null) {
            throw new ListenException("cannot listen on " + path + ": " + live + " (stop that process or choose another"
                    + " path)");
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new ListenException("cannot replace the stale socket " + path + ": " + e.getMessage(), e);
        }
    }

    /** A stream listener on Unix socket {@code path} (claimed as {@link #claimUnixPath}). */
    public static ServerSocketChannel unixStream(Path path, int backlog) throws IOException {
        claimUnixPath(path);
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(path), backlog);
            return ch;
        } catch (IOException e) {
            ch.close();
            throw e instanceof BindException ? taken(path.toString(), e) : e;
        }
    }

    /** A TCP listener on {@code address} (SO_REUSEADDR, so a restart does not wait for TIME_WAIT). */
    public static ServerSocketChannel tcp(InetSocketAddress address, int backlog) throws IOException {
        ServerSocketChannel ch = ServerSocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(address, backlog);
            return ch;
        } catch (IOException e) {
            ch.close();
            throw e instanceof BindException ? taken(describe(address), e) : e;
        }
    }

    /**
     * The ListenException for a bind(2) of {@code what} that failed with {@code e} (EADDRINUSE, or
     * EACCES for a port below 1024): for listeners opened by other code (an HTTP server, a UDP socket).
     */
    public static ListenException taken(String what, IOException e) {
        String why = String.valueOf(e.getMessage());
        String hint = why.contains("ermission") ? " (a port below 1024 needs CAP_NET_BIND_SERVICE)"
                : " (another process has it: stop it or choose another address)";
        return new ListenException("cannot listen on " + what + ": " + why + hint, e);
    }

    /** HOST:PORT, with an IPv6 host in brackets. */
    public static String describe(SocketAddress a) {
        if (a instanceof InetSocketAddress i) {
            String host = i.getAddress() != null ? i.getAddress().getHostAddress() : i.getHostString();
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + i.getPort();
        }
        return String.valueOf(a);
    }

    private static boolean isSocket(Path path) {
        try {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & 0170000) == 0140000;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static String kind(BasicFileAttributes a) {
        if (a.isRegularFile()) {
            return "a regular file";
        }
        if (a.isDirectory()) {
            return "a directory";
        }
        if (a.isSymbolicLink()) {
            return "a symbolic link";
        }
        return "a device or FIFO";
    }

    /**
     * Null when connecting is refused (ECONNREFUSED: no socket is bound to the file any more), else why
     * the socket counts as live: it accepted, or it is of another type (EPROTOTYPE), or it is not ours
     * to judge (EACCES).
     */
    private static String liveSocket(Path path) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
            return "another process is listening there";
        } catch (ConnectException e) {
            return null;
        } catch (IOException e) {
            return "a socket that may be in use (" + e.getMessage() + ")";
        }
    }
}
