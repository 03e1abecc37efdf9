package org.qemu.helpers.slirpdhcp.libvirt;

import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.qemu.helpers.common.bus.HelperIdentity;
import org.qemu.helpers.common.vmstate.VMStateCodec;
import org.qemu.helpers.slirpdhcp.engine.DhcpEndpoint;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import org.qemu.helpers.common.log.EventLog;

/**
 * Who this instance is when several run on one bus, one per NIC (libvirt starts one helper per
 * {@code <interface type='user'>} on the domain's bus). Without options it is the single instance of CONTRACT.md:
 * {@code org.qemu.SlirpDhcp1}, VMState Id {@code slirp-dhcp}. With {@code --instance NAME} it owns
 * {@code org.qemu.SlirpDhcp1.NAME} instead (a bus name can have one primary owner, so each NIC's helper needs its
 * own), and keeps its leases in its own directory; its objects and interfaces are the same, and it serves
 * org.qemu.Helper1 like any helper, so discovery lists every instance.
 */
public final class InstanceOptions {
    /** VMState Ids: what libvirt passes (slirp-MAC) and our own; bounded, printable, no spaces. */
    private static final String ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9:._-]{0,62}";
    /** One element of a D-Bus bus name (no leading digit); '-' left out so that the name is also a path element. */
    private static final String INSTANCE_PATTERN = "[A-Za-z_][A-Za-z0-9_]{0,62}";

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    private String vmStateId = "slirp-dhcp";
    private String instance;

    @Option(names = "--hold-dhcp-until-load", description = "Answer no DHCP from the guest until QEMU's dbus-vmstate has"
            + " called Load (an incoming migration or restore: libvirt's --dbus-incoming), so the guest gets the"
            + " saved lease, not a new one.")
    boolean holdDhcpUntilLoad;

    @Option(names = "--vmstate-id", paramLabel = "ID", description = "The org.qemu.VMState1 Id (default slirp-dhcp;"
            + " libvirt passes slirp-MAC). Unique on the bus.")
    void vmStateId(String id) {
        if (!id.matches(ID_PATTERN)) {
            throw new ParameterException(spec.commandLine(), "--vmstate-id: '" + SlirpHelperArgs.printable(id)
                    + "' is not an Id: 1-63 letters, digits, ':', '.', '_' or '-', starting with a letter or digit");
        }
        vmStateId = id;
    }

    @Option(names = "--instance", paramLabel = "NAME", description = "Own org.qemu.SlirpDhcp1.NAME instead of"
            + " org.qemu.SlirpDhcp1, for several NICs on one bus (NAME: letters, digits, '_').")
    void instance(String name) {
        if (!name.matches(INSTANCE_PATTERN)) {
            throw new ParameterException(spec.commandLine(), "--instance: '" + SlirpHelperArgs.printable(name)
                    + "' is not a bus name element: 1-63 letters, digits or '_', not starting with a digit");
        }
        instance = name;
    }

    /** The instance name libvirt's Id maps to: every character outside [A-Za-z0-9_] becomes '_'. */
    public static String instanceFor(String vmStateId) {
        String s = vmStateId.replaceAll("[^A-Za-z0-9_]", "_");
        return Character.isDigit(s.charAt(0)) ? "_" + s : s;
    }

    /** This instance's identity on the bus: {@code helper}'s, with this instance's bus name and VMState Id. */
    public HelperIdentity identity(HelperIdentity helper) {
        return helper.instance(instance).vmState(vmStateId);
    }

    /** Where this instance keeps its leases: one directory per instance, since two stores must not share one. */
    public Path leaseDir(Path stateDir) {
        return stateDir.resolve(instance == null ? "leases" : "leases-" + instance);
    }

    /** The hold of --hold-dhcp-until-load, or null without it. */
    public IncomingHold incomingHold(EventLog log) {
        return holdDhcpUntilLoad ? new IncomingHold(log) : null;
    }

    /** The guest's DHCP endpoint through {@code hold} (unchanged without one). */
    public static UnaryOperator<DhcpEndpoint> guestDhcp(IncomingHold hold) {
        return hold == null ? UnaryOperator.identity() : hold::wrap;
    }

    /** {@code codec}, releasing {@code hold} once a Load has been applied (unchanged without one). */
    public static <T> VMStateCodec<T> vmState(IncomingHold hold, VMStateCodec<T> codec) {
        return hold == null ? codec : hold.releasingOnLoad(codec);
    }
}
