package org.qemu.helpers.uiclient.web;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;

/**
 * A request as the JDK's HTTP server hands it to a handler (method, URI, headers, body), held in memory, and what
 * the handler answered. A stand-in for the exchange only, so a fuzz target can run the web console's request code
 * at fuzzing speed; the real server is exercised by WebConsoleChromiumTest.
 */
final class MemoryExchange extends HttpExchange {
    private final String method;
    private final URI uri;
    private final Headers requestHeaders;
    private final Headers responseHeaders = new Headers();
    private final InputStream body;
    private final ByteArrayOutputStream response = new ByteArrayOutputStream();
    private final Map<String, Object> attributes = new HashMap<>();
    private int status = -1;

    MemoryExchange(String method, URI uri, Headers requestHeaders, byte[] body) {
        this.method = method;
        this.uri = uri;
        this.requestHeaders = requestHeaders;
        this.body = new ByteArrayInputStream(body);
    }

    /** The status sent, -1 if none. */
    int status() {
        return status;
    }

    byte[] responseBody() {
        return response.toByteArray();
    }

    @Override
    public Headers getRequestHeaders() {
        return requestHeaders;
    }

    @Override
    public Headers getResponseHeaders() {
        return responseHeaders;
    }

    @Override
    public URI getRequestURI() {
        return uri;
    }

    @Override
    public String getRequestMethod() {
        return method;
    }

    @Override
    public HttpContext getHttpContext() {
        return null;
    }

    @Override
    public void close() {
    }

    @Override
    public InputStream getRequestBody() {
        return body;
    }

    @Override
    public OutputStream getResponseBody() {
        return response;
    }

    @Override
    public void sendResponseHeaders(int code, long length) {
        if (status != -1) {
            throw new IllegalStateException("headers sent twice (" + status + ", then " + code + ")");
        }
        status = code;
    }

    @Override
    public InetSocketAddress getRemoteAddress() {
        return new InetSocketAddress("127.0.0.1", 40000);
    }

    @Override
    public int getResponseCode() {
        return status;
    }

    @Override
    public InetSocketAddress getLocalAddress() {
        return new InetSocketAddress("127.0.0.1", 8090);
    }

    @Override
    public String getProtocol() {
        return "HTTP/1.1";
    }

    @Override
    public Object getAttribute(String name) {
        return attributes.get(name);
    }

    @Override
    public void setAttribute(String name, Object value) {
        attributes.put(name, value);
    }

    @Override
    public void setStreams(InputStream i, OutputStream o) {
        throw new UnsupportedOperationException("not used by the web console");
    }

    @Override
    public HttpPrincipal getPrincipal() {
        return null;
    }
}
