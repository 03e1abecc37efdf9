package org.qemu.helpers.deploy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The launcher's control socket (run/control.sock, mode 0600: only the VM's owner): the operator verbs
 * (save, restore, migrate) send one request line, the launcher runs it with the processes it owns and sends
 * progress lines, then {@code exit N} (N from ExitCodes). One request at a time.
 */
final class ControlChannel implements AutoCloseable {
    static final String EXIT = "exit ";
    private static final int MAX_LINE = 4096;

    /** Runs one request; progress goes to {@code out}; returns the exit code. */
    interface Handler {
        int handle(List<String> words, PrintStream out) throws Exception;
    }

    private final ServerSocketChannel server;
    private final Thread thread;

    private ControlChannel(ServerSocketChannel server, Handler handler) {
        this.server = server;
        this.thread = new Thread(() -> serve(handler), "control");
        thread.setDaemon(true);
    }

    static ControlChannel listen(Path socket, Handler handler) throws IOException {
        Files.deleteIfExists(socket);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        ControlChannel c = new ControlChannel(s, handler);
        c.thread.start();
        return c;
    }

    private void serve(Handler handler) {
        while (server.isOpen()) {
            try (SocketChannel ch = server.accept();
                 PrintStream out = new PrintStream(Channels.newOutputStream(ch), true, StandardCharsets.UTF_8)) {
                String line = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch),
                        StandardCharsets.UTF_8)).readLine();
                int rc;
                if (line == null || line.length() > MAX_LINE || line.isBlank()) {
                    out.println("error: empty or oversized request");
                    rc = org.qemu.helpers.common.exit.ExitCodes.CONFIG;
                } else {
                    try {
                        rc = handler.handle(List.of(line.strip().split(" ")), out);
                    } catch (Exception e) {
                        out.println("error: " + e.getMessage());
                        rc = org.qemu.helpers.common.exit.ExitCodes.FAILED;
                    }
                }
                out.println(EXIT + rc);
            } catch (IOException e) {
                if (!server.isOpen()) {
                    return;
                }
            }
        }
    }

    /** The verb's side: sends {@code request}, copies the progress lines to {@code out}, returns the exit code. */
    static int request(Path socket, String request, PrintStream out) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            Channels.newOutputStream(ch).write((request + "\n").getBytes(StandardCharsets.UTF_8));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch),
                    StandardCharsets.UTF_8));
            for (String l = in.readLine(); l != null; l = in.readLine()) {
                if (l.startsWith(EXIT)) {
                    return Integer.parseInt(l.substring(EXIT.length()).strip());
                }
                out.println(l);
            }
            out.println("the launcher closed the control connection without an answer");
            return org.qemu.helpers.common.exit.ExitCodes.FAILED;
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
