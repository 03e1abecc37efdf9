package org.qemu.helpers.uiclient.web;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.qemu.helpers.common.cli.ConfigException;

/** The --web HOST:PORT option: a loopback address only (the console shows and types into the VM). */
public record WebAddress(InetAddress host, int port) {

    /**
     * Parse {@code HOST:PORT} ({@code [::1]:PORT} for IPv6); the host must be a loopback address
     * literal or {@code localhost}; no name resolution beyond that.
     */
    public static WebAddress parse(String text) throws ConfigException {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw ConfigException.option("--web", "'" + text + "' is not HOST:PORT (e.g. 127.0.0.1:8090), or 'off'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw ConfigException.option("--web", "port '" + text.substring(colon + 1) + "' is not a number");
        }
        if (port < 0 || port > 65535) {
            throw ConfigException.option("--web", "port " + port + " is outside 0..65535");
        }
        InetAddress addr;
        try {
            if (host.equals("localhost")) {
                addr = InetAddress.getLoopbackAddress();
            } else if (host.matches("[0-9.]+") || host.contains(":")) {
                addr = InetAddress.getByName(host); // a literal: no lookup
            } else {
                throw ConfigException.option("--web", "host '" + host + "' must be a loopback address literal"
                        + " (127.0.0.1, ::1) or localhost");
            }
        } catch (UnknownHostException e) {
            throw ConfigException.option("--web", "host '" + host + "' is not an address: " + e.getMessage());
        }
        if (!addr.isLoopbackAddress()) {
            throw ConfigException.option("--web", "host '" + host + "' is not a loopback address; the web console"
                    + " serves the VM's screen and keyboard and listens on loopback only");
        }
        return new WebAddress(addr, port);
    }
}
