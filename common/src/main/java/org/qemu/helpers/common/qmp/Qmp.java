package org.qemu.helpers.common.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** A minimal QMP client over a Unix socket (QEMU docs/interop/qmp-spec): greeting, capabilities, commands. */
public final class Qmp implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;

    private Qmp(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = Channels.newOutputStream(channel);
    }

    /** Connects to {@code socket} (waiting for QEMU to create it) and leaves capabilities negotiation mode. */
    public static Qmp connect(Path socket, Duration timeout) throws IOException, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(socket)) {
            if (System.nanoTime() > end) {
                throw new IOException("QMP socket " + socket + " did not appear");
            }
            Thread.sleep(50);
        }
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        Qmp q = new Qmp(ch);
        q.in.readLine(); // greeting
        q.execute("qmp_capabilities", Map.of());
        return q;
    }

    /** Runs {@code command}; returns its "return" member or throws with QEMU's error description. */
    public synchronized JsonNode execute(String command, Map<String, ?> arguments) throws IOException {
        out.write(JSON.writeValueAsBytes(Map.of("execute", command, "arguments", arguments)));
        out.flush();
        while (true) {
            String line = in.readLine();
            if (line == null) {
                throw new IOException("QMP connection closed during " + command);
            }
            JsonNode n = JSON.readTree(line);
            if (n.has("return")) {
                return n.get("return");
            }
            if (n.has("error")) {
                throw new IOException(command + ": " + n.get("error").path("desc").asText());
            }
            // an asynchronous event: skip
        }
    }

    /** Polls query-migrate until it is completed; fails when it fails or times out. */
    public void awaitMigration(Duration timeout) throws IOException, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            JsonNode r = execute("query-migrate", Map.of());
            String status = r.path("status").asText();
            if (status.equals("completed")) {
                return;
            }
            if (status.equals("failed") || status.equals("cancelled")) {
                throw new IOException("migration " + status + ": " + r);
            }
            Thread.sleep(100);
        }
        throw new IOException("migration did not complete within " + timeout);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
