package org.qemu.helpers.slirpdhcp.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.qemu.helpers.slirpdhcp.engine.DnsForwarder;
import org.xbill.DNS.Message;
import org.xbill.DNS.SimpleResolver;

/**
 * An upstream resolver reached with dnsjava's asynchronous SimpleResolver (UDP, TCP retry on truncation, its own
 * timeout): dnsjava's NIO thread waits for every upstream answer at once, no thread is held per query.
 */
public final class ResolverUpstream implements DnsForwarder.Upstream {
    private final InetSocketAddress addr;
    private final SimpleResolver resolver;
    private final Executor callbacks;

    /** {@code callbacks} runs what follows an answer (the reply to the guest), off dnsjava's selector thread. */
    public ResolverUpstream(InetSocketAddress addr, Duration timeout, Executor callbacks) {
        this.addr = addr;
        this.resolver = new SimpleResolver(addr);
        this.callbacks = callbacks;
        resolver.setTimeout(timeout);
    }

    @Override
    public String name() {
        return addr.getAddress().getHostAddress() + ":" + addr.getPort();
    }

    @Override
    public CompletionStage<Message> exchange(Message query) {
        return resolver.sendAsync(query, callbacks);
    }

    /** Parses {@code ADDR[:PORT]} (IPv4 or bracketed IPv6); throws IllegalArgumentException naming the text. */
    public static InetSocketAddress parse(String text) {
        String host = text;
        int port = 53;
        if (text.startsWith("[")) {
            int end = text.indexOf(']');
            if (end < 0) {
                throw new IllegalArgumentException("bad upstream '" + text + "' (want ADDR[:PORT])");
            }
            host = text.substring(1, end);
            if (text.length() > end + 1) {
                port = parsePort(text.substring(end + 2), text);
            }
        } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
            host = text.substring(0, text.indexOf(':'));
            port = parsePort(text.substring(text.indexOf(':') + 1), text);
        }
        try {
            java.net.InetAddress a = java.net.InetAddress.getByName(host);
            if (!host.matches("[0-9a-fA-F.:]+")) {
                throw new IllegalArgumentException("upstream '" + text + "' must be an IP address, not a name");
            }
            return new InetSocketAddress(a, port);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("bad upstream address '" + text + "'");
        }
    }

    private static int parsePort(String p, String text) {
        try {
            int port = Integer.parseInt(p);
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in upstream '" + text + "' (1-65535)");
        }
    }

    /** The nameservers of a resolv.conf file (the host's resolver when none are configured). */
    public static java.util.List<InetSocketAddress> fromResolvConf(java.nio.file.Path file) throws IOException {
        java.util.List<InetSocketAddress> out = new java.util.ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(file)) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[0].equals("nameserver")) {
                try {
                    out.add(parse(f[1].contains(":") && !f[1].startsWith("[") ? "[" + f[1] + "]" : f[1]));
                } catch (IllegalArgumentException e) {
                    // skip lines we cannot use
                }
            }
        }
        return out;
    }
}
