package org.qemu.helpers.deploy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** The small HTTP server the demo runs on the host's loopback; the guest fetches it through the gateway 10.0.2.2. */
final class DemoPage implements AutoCloseable {
    static final String TEXT = "hello from the demo's host server on 127.0.0.1";
    private final HttpServer server;

    private DemoPage(HttpServer server) {
        this.server = server;
    }

    /** Listens on 127.0.0.1 and a free port; GET / answers one line. */
    static DemoPage start() throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        s.createContext("/", ex -> {
            byte[] body = (TEXT + ":" + ex.getLocalAddress().getPort() + "\n").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        s.start();
        return new DemoPage(s);
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
