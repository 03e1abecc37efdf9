package org.qemu.helpers.common.systemd;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.qemu.helpers.common.log.HelperLog;

/**
 * sd_notify(3) for a helper run as a {@code Type=notify} service: {@code READY=1} with a
 * {@code STATUS=} line once the helper is fully ready, {@code STOPPING=1} when it begins to stop.
 * Without {@code $NOTIFY_SOCKET} (not under systemd) it does nothing. A failed send is logged and
 * otherwise ignored: readiness reporting must never stop a working helper.
 */
public final class SystemdNotifier {
    /** The variable systemd sets for a service with Type=notify (or NotifyAccess=). */
    public static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";

    private static final SystemdNotifier NONE = new SystemdNotifier(null, null);

    private final NotifyAddress address;
    private final HelperLog log;

    private SystemdNotifier(NotifyAddress address, HelperLog log) {
        this.address = address;
        this.log = log;
    }

    /** The notifier for this process's environment; logs (once) why a malformed NOTIFY_SOCKET is ignored. */
    public static SystemdNotifier fromEnvironment(HelperLog log) {
        return forSocket(System.getenv(NOTIFY_SOCKET), log);
    }

    /** The notifier for {@code notifySocket} (null: none). */
    public static SystemdNotifier forSocket(String notifySocket, HelperLog log) {
        if (notifySocket == null) {
            return NONE;
        }
        try {
            return new SystemdNotifier(NotifyAddress.parse(notifySocket), log);
        } catch (IllegalArgumentException e) {
            log.warn("sd-notify-off", "reason", e.getMessage());
            return NONE;
        }
    }

    /** True when there is a service manager to tell. */
    public boolean enabled() {
        return address != null;
    }

    /** READY=1 and STATUS={@code status} in one datagram, so the manager never sees one without the other. */
    public void ready(String status) {
        send("READY=1\nSTATUS=" + oneLine(status) + "\n");
    }

    /** STOPPING=1: the helper is releasing its names and closing its sockets. */
    public void stopping(String status) {
        send("STOPPING=1\nSTATUS=" + oneLine(status) + "\n");
    }

    /** Sends {@code state} (newline-separated VAR=VALUE assignments, sd_notify(3)). */
    void send(String state) {
        if (address == null) {
            return;
        }
        try (UnixDatagramSocket s = UnixDatagramSocket.open()) {
            s.send(state.getBytes(StandardCharsets.UTF_8), address);
        } catch (IOException | RuntimeException | LinkageError e) {
            log.warn("sd-notify-failed", "socket", address.text(), "reason", String.valueOf(e.getMessage()));
        }
    }

    /** A STATUS= value ends at the first newline, which would start the next assignment. */
    private static String oneLine(String s) {
        return s.replaceAll("[\\r\\n]", " ");
    }
}
