package org.qemu.helpers.uiclient.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.qemu.helpers.common.bus.HelperRuntime;
import org.qemu.helpers.common.discovery.HelperDirectory;
import org.qemu.helpers.uiclient.display.DisplayClient;
import org.qemu.helpers.uiclient.display.UiLog;

/**
 * The web console: HTTP on loopback (JDK com.sun.net.httpserver), opened only with the random
 * token. Routes each request through the {@link WebGate} to the page's files, the viewers'
 * event streams ({@link ViewerStreams}), keyboard and mouse ({@link WebInput}) and, only when
 * turned on, the benchmark's endpoints ({@link WebBench}). Nothing a helper or the guest
 * supplied is put into markup by the server: it travels as JSON and the page sets textContent.
 */
public final class WebConsole implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService pool;
    private final HelperDirectory directory;
    private final HelperPanel panel;
    private final UiLog log;
    private final String token;
    private final String baseUrl;
    private final WebGate gate;
    private final ViewerStreams streams;
    private final WebInput input;
    /** Null unless the bench endpoints are on. */
    private final WebBench bench;

    private WebConsole(HttpServer server, ExecutorService pool, DisplayClient display, HelperDirectory directory,
                       HelperPanel panel, UiLog log, String token, boolean benchEndpoints) {
        this.server = server;
        this.pool = pool;
        this.directory = directory;
        this.panel = panel;
        this.log = log;
        this.token = token;
        int port = server.getAddress().getPort();
        String host = server.getAddress().getAddress().getHostAddress();
        String hostPart = host.contains(":") ? "[" + host + "]" : host;
        this.baseUrl = "http://" + hostPart + ":" + port + "/";
        this.gate = new WebGate(token, hostPart, port, log);
        this.bench = benchEndpoints ? new WebBench(display) : null;
        this.streams = new ViewerStreams(display, panel, bench == null ? since -> { } : bench::pushed);
        this.input = new WebInput(display);
    }

    /**
     * Start on {@code address}; the token goes to {@code STATE_DIR/web-token} (mode 0600). The
     * bench endpoints are on when the system property {@value WebBench#PROPERTY} is true.
     */
    public static WebConsole start(WebAddress address, DisplayClient display, HelperRuntime rt, UiLog log)
            throws Exception {
        String token = TokenFile.newToken();
        TokenFile.write(rt.stateDir().resolve("web-token"), token);
        HelperDirectory directory = HelperDirectory.open(rt.connection(), rt.trust());
        HelperPanel panel = new HelperPanel(rt.connection(), directory, log);
        return start(address, display, directory, panel, log, token, Boolean.getBoolean(WebBench.PROPERTY));
    }

    static WebConsole start(WebAddress address, DisplayClient display, HelperDirectory directory, HelperPanel panel,
                            UiLog log, String token, boolean benchEndpoints) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(address.host(), address.port()), 16);
        ExecutorService pool = Executors.newFixedThreadPool(ViewerStreams.MAX_VIEWERS + 4, r -> {
            Thread t = new Thread(r, "ui-client-web");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        WebConsole w = new WebConsole(server, pool, display, directory, panel, log, token, benchEndpoints);
        panel.setDemand(w.streams::anyViewer);
        server.createContext("/", w::handle);
        server.start();
        if (benchEndpoints) {
            log.info("web-console", "url", w.baseUrl, "bench-endpoints", "on");
        } else {
            log.info("web-console", "url", w.baseUrl);
        }
        return w;
    }

    public String baseUrl() {
        return baseUrl;
    }

    public String token() {
        return token;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!gate.admit(ex)) {
                return;
            }
            String path = ex.getRequestURI().getPath();
            switch (path) {
                case "/app.js" -> Http.resource(ex, "app.js", "text/javascript; charset=utf-8");
                case "/app.css" -> Http.resource(ex, "app.css", "text/css; charset=utf-8");
                case "/" -> Http.resource(ex, "index.html", "text/html; charset=utf-8");
                case "/events" -> streams.serve(ex);
                case "/input" -> input.handle(ex);
                case "/ack", "/stats" -> {
                    if (bench == null) {
                        Http.text(ex, 404, "not found\n");
                    } else if (path.equals("/ack")) {
                        bench.ack(ex);
                    } else {
                        bench.stats(ex);
                    }
                }
                default -> Http.text(ex, 404, "not found\n");
            }
        } catch (IOException e) {
            // the browser went away
        } catch (RuntimeException e) {
            log.warn("web-request-failed", "error", e.toString());
        }
    }

    @Override
    public void close() {
        streams.close();
        server.stop(0);
        pool.shutdownNow();
        panel.close();
        try {
            directory.close();
        } catch (Exception e) {
            // closing anyway
        }
    }
}
