package org.qemu.helpers.uiclient;

import java.time.Duration;
import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.qemu.helpers.common.exit.ExitCodes;
import org.qemu.helpers.common.cli.CommonOptions;
import org.qemu.helpers.common.cli.ConfigException;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.common.trust.PeerTrust;
import org.qemu.helpers.common.trust.TrustPolicy;
import org.qemu.helpers.uiclient.display.DisplayClient;
import org.qemu.helpers.uiclient.display.HelperLogUi;
import org.qemu.helpers.uiclient.display.VmmGate;

/**
 * The shared frame of the one-shot subcommands: connect as a plain client (no bus name),
 * attach to QEMU's display through the vmm owner gate, run one action, exit.
 * Exit codes: 0 done, 1 no usable display (none, refused, no frame), 2 config, 3 cannot connect.
 */
final class OneShot {
    static final int EXIT_NO_DISPLAY = ExitCodes.FAILED;

    interface Action {
        int run(DisplayClient client, HelperLog log) throws Exception;
    }

    private OneShot() {
    }

    /** The subcommand's own options, or the ones given before it when it names no bus. */
    static CommonOptions options(CommonOptions own, Main parent) {
        return own.namesABus() || parent == null ? own : parent.commonOptions();
    }

    static int run(CommonOptions common, Duration timeout, Action action) throws Exception {
        HelperLog log = HelperLog.stderr("ui-client");
        log.setThreshold(HelperLog.Level.WARN);
        TrustPolicy policy;
        String address;
        try {
            log.setThreshold(common.logLevel());
            policy = common.loadPolicy(log);
            if (!common.namesABus()) {
                throw ConfigException.option("--bus-address", "no bus address: give --bus-address, --libvirt-domain"
                        + " or set $" + CommonOptions.BUS_ENV);
            }
            address = common.resolveBusAddress();
        } catch (ConfigException e) {
            log.error("config-invalid", "reason", e.getMessage());
            return ExitCodes.CONFIG;
        }
        DBusConnection conn;
        try {
            conn = DBusConnectionBuilder.forAddress(address).withShared(false).build();
        } catch (DBusException | RuntimeException e) {
            log.error("startup-failed", "reason", "cannot connect to " + address + ": " + e.getMessage());
            return ExitCodes.STARTUP;
        }
        try (conn; PeerTrust trust = new PeerTrust(conn, policy);
             DisplayClient client = new DisplayClient(conn, new VmmGate(trust), new HelperLogUi(log))) {
            client.start();
            DisplayClient.State s = client.await(timeout);
            if (s == DisplayClient.State.REFUSED) {
                log.error("display-refused", "reason", client.refusal());
                return EXIT_NO_DISPLAY;
            }
            if (s != DisplayClient.State.ATTACHED) {
                log.error("no-display", "reason", "no QEMU display on the bus (org.qemu has no owner) within "
                        + timeout.toSeconds() + " s");
                return EXIT_NO_DISPLAY;
            }
            return action.run(client, log);
        }
    }
}
