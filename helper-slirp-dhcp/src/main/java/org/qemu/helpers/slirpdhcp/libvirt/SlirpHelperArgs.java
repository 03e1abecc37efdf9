package org.qemu.helpers.slirpdhcp.libvirt;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.qemu.helpers.slirpdhcp.engine.Ip4;

/**
 * The command line of libvirt's {@code slirp_helper} (qemu.conf), and of libslirp-helper whose options libvirt
 * and its users know, translated into this helper's own. libvirt 9.0 (src/qemu/qemu_slirp.c) runs
 * {@code HELPER --print-capabilities}, then {@code HELPER --fd=N [--net=ADDR/PREFIX] [--net6=ADDR/PREFIX]
 * --dbus-id=slirp-MAC --dbus-address=ADDR [--dbus-incoming] [--exit-with-parent]}, the last three only for the
 * features the capabilities list. Pure: no I/O, so every mapping and every refusal is a unit test.
 *
 * <p>What does not map is refused with a line that says why and what to do, never silently dropped: a guest
 * told of IPv6 or TFTP that does not exist would fail later, where nobody looks.
 */
public final class SlirpHelperArgs {
    /**
     * The features of libvirt's list that work here: IPv4, the VM's bus, migration through dbus-vmstate (leases,
     * static leases, host records and forwards), --restrict, --exit-with-parent. Not ipv6, tftp, dbus-p2p.
     */
    public static final List<String> FEATURES = List.of("ipv4", "dbus-address", "migrate", "restrict",
            "exit-with-parent");

    /** libslirp-helper options with no counterpart here, and why. */
    private static final Map<String, String> REFUSED = Map.ofEntries(
            Map.entry("--net6", "IPv6 is not supported (the capabilities do not list ipv6): remove the interface's"
                    + " <ip family='ipv6'> element"),
            Map.entry("--host-ipv6", "IPv6 is not supported"),
            Map.entry("--dns-ipv6", "IPv6 is not supported"),
            Map.entry("--disable-ipv4", "IPv4 is all this helper serves"),
            Map.entry("--dbus-p2p", "a peer-to-peer D-Bus connection is not supported: give --dbus-address"),
            Map.entry("--tftp", "there is no TFTP server (the capabilities do not list tftp)"),
            Map.entry("--tftp-name", "there is no TFTP server"),
            Map.entry("--dhcp-bootfile", "there is no TFTP server to boot from"),
            Map.entry("--hostname", "the DHCP server does not assign host names: the guest's own DHCP client sends"
                    + " its name (option 12), and AddHostRecord names others"),
            Map.entry("--socket-path", "give the socket as an inherited descriptor, --fd N"),
            Map.entry("--interactive", "not supported"));

    /** Options that take no value. */
    private static final List<String> FLAGS = List.of("--print-capabilities", "--dbus-incoming", "--exit-with-parent",
            "--restrict", "-r", "--disable-host-loopback", "--disable-ipv6", "--debug", "--interactive",
            "--disable-ipv4", "--help", "-h", "--version", "-V", "--no-map-gw", "--no-nat",
            "--hold-dhcp-until-load");

    /**
     * What the command line asks.
     *
     * @param printCapabilities print {@link #capabilitiesJson()} and exit
     * @param exitWithParent arm {@link ParentDeath} first
     * @param helperArgs the arguments for this helper's Main
     */
    public record Translation(boolean printCapabilities, boolean exitWithParent, List<String> helperArgs) {
        public Translation {
            helperArgs = List.copyOf(helperArgs);
        }
    }

    /** A command line that cannot be served; the message names the option and what to do. */
    public static final class UsageException extends Exception {
        public UsageException(String message) {
            super(message);
        }
    }

    private SlirpHelperArgs() {
    }

    /** The JSON libvirt reads from --print-capabilities. */
    public static String capabilitiesJson() {
        StringBuilder sb = new StringBuilder("{\"features\":[");
        for (int i = 0; i < FEATURES.size(); i++) {
            sb.append(i == 0 ? "" : ",").append('"').append(FEATURES.get(i)).append('"');
        }
        return sb.append("]}").toString();
    }

    /** Translates {@code args} (both --opt=value and --opt value); options of this helper itself pass through. */
    public static Translation translate(List<String> args) throws UsageException {
        List<String> out = new ArrayList<>();
        boolean caps = false;
        boolean exitWithParent = false;
        String net = null;
        Map<String, String> pinned = new java.util.LinkedHashMap<>(); // --host etc.: only the values we serve
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            if (REFUSED.containsKey(name)) {
                throw new UsageException(name + ": " + REFUSED.get(name));
            }
            if (!name.startsWith("-")) {
                throw new UsageException("unexpected argument '" + printable(a) + "' (options start with --)");
            }
            if (FLAGS.contains(name)) {
                if (value != null) {
                    throw new UsageException(name + " takes no value");
                }
            } else if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new UsageException(name + " needs a value");
                }
                value = args.get(++i);
            }
            switch (name) {
                case "--print-capabilities" -> caps = true;
                case "--exit-with-parent" -> exitWithParent = true;
                case "--fd" -> out.add("--fd=" + value);
                case "--dbus-address" -> out.add("--bus-address=" + value);
                case "--dbus-id" -> {
                    if (value.isEmpty()) {
                        throw new UsageException("--dbus-id: empty; libvirt passes slirp-MAC");
                    }
                    out.add("--vmstate-id=" + value);
                    out.add("--instance=" + InstanceOptions.instanceFor(value));
                }
                case "--dbus-incoming" -> out.add("--hold-dhcp-until-load");
                case "--net" -> {
                    net = network(value);
                    out.add("--network=" + net);
                }
                case "-r" -> out.add("--restrict");
                case "--debug" -> out.add("--log-level=debug");
                case "--disable-ipv6" -> {
                    // nothing to disable: there is no IPv6
                }
                case "--domainname" -> out.add("--domain=" + value);
                case "--dns-suffixes" -> {
                    for (String s : value.split(",")) {
                        if (!s.isBlank()) {
                            out.add("--search=" + s.trim());
                        }
                    }
                }
                case "--interface" -> out.add("--tap=" + value);
                case "--host", "--dhcp-start", "--dhcp-dns" -> pinned.put(name, value);
                default -> out.add(value == null ? a : name + "=" + value);
            }
        }
        checkPinned(pinned, net == null ? "10.0.2.0/24" : net);
        return new Translation(caps, exitWithParent, out);
    }

    /** ADDR/PREFIX as libvirt passes it (the address may have host bits: libslirp masks them), as a network. */
    static String network(String value) throws UsageException {
        String[] p = value.split("/", -1);
        try {
            if (p.length != 2) {
                throw new IllegalArgumentException("want ADDR/PREFIX, e.g. 10.0.2.0/24");
            }
            int prefix = Integer.parseInt(p[1]);
            if (prefix < 0 || prefix > 32) {
                throw new IllegalArgumentException("prefix " + prefix + " (want 0..32)");
            }
            int mask = (int) (0xffffffffL << (32 - prefix));
            return Ip4.format(Ip4.parse(p[0]) & mask) + "/" + prefix;
        } catch (IllegalArgumentException e) {
            throw new UsageException("--net: '" + printable(value) + "': " + e.getMessage());
        }
    }

    /** --host, --dhcp-start and --dhcp-dns are accepted only with the addresses this helper serves. */
    private static void checkPinned(Map<String, String> pinned, String net) throws UsageException {
        int base = Ip4.parse(net.split("/")[0]);
        Map<String, Integer> served = Map.of("--host", base + 2, "--dhcp-dns", base + 3, "--dhcp-start", base + 15);
        for (Map.Entry<String, String> e : pinned.entrySet()) {
            int want = served.get(e.getKey());
            int given;
            try {
                given = Ip4.parse(e.getValue());
            } catch (IllegalArgumentException ex) {
                throw new UsageException(e.getKey() + ": '" + printable(e.getValue()) + "' is not an IPv4 address");
            }
            if (given != want) {
                throw new UsageException(e.getKey() + ": this helper serves " + Ip4.format(want) + " in " + net
                        + " (gateway .2, DNS .3, pool from .15), not " + printable(e.getValue()));
            }
        }
    }

    /** {@code s} for a message: at most 80 characters, non-printable ones as '?'. */
    static String printable(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
