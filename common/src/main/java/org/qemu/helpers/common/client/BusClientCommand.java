package org.qemu.helpers.common.client;

import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.connections.impl.DBusConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.qemu.helpers.common.cli.BusOptions;
import org.qemu.helpers.common.trust.TrustPolicy;
import picocli.CommandLine.Mixin;

/**
 * A client command on a VM's bus: the bus from {@code --bus-address} or {@code --libvirt-domain} (none is a
 * configuration error), the policy from {@code --policy}, a private connection (none is
 * {@link ClientFailure#unavailable}), and a {@link BusClient} that checks the owner of a name before the command
 * trusts what it answers (CONTRACT.md). A D-Bus error the command does not handle is a refusal: unavailable when
 * the name has no owner, else a configuration error (the request was invalid or not allowed).
 */
public abstract class BusClientCommand extends ClientCommand {
    @Mixin
    protected BusOptions bus = new BusOptions();

    /** Checks the command's own arguments before anything else; throw {@link ClientFailure#config}. */
    protected void validate() throws Exception {
    }

    /** The bus and policy options in effect (a subcommand may take its parent's when it names no bus itself). */
    protected BusOptions busOptions() {
        return bus;
    }

    /** Does the command's job on the connected bus. */
    protected abstract int run(BusClient client) throws Exception;

    @Override
    protected final int execute() throws Exception {
        validate();
        BusOptions options = busOptions();
        String address = options.requireBusAddress();
        TrustPolicy policy = options.policy();
        DBusConnection conn;
        try {
            conn = DBusConnectionBuilder.forAddress(address).withShared(false).build();
        } catch (DBusException | RuntimeException e) {
            throw ClientFailure.unavailable("cannot connect to bus " + address + ": " + e.getMessage());
        }
        try (BusClient client = new BusClient(conn, policy, options.policyFile())) {
            return run(client);
        } catch (DBusExecutionException e) {
            String name = (e.getType() != null ? e.getType() : e.getClass().getName()).replace('$', '.');
            String text = "refused: " + name + ": " + e.getMessage();
            throw name.contains("ServiceUnknown") || name.contains("NameHasNoOwner")
                    ? ClientFailure.unavailable(text) : ClientFailure.config(text);
        }
    }
}
