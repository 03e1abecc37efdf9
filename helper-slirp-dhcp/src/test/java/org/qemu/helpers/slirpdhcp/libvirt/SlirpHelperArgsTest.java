package org.qemu.helpers.slirpdhcp.libvirt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.bus.HelperIdentity;
import org.qemu.helpers.slirpdhcp.Main;
import org.qemu.helpers.slirpdhcp.dbus.SlirpDhcp1;
import picocli.CommandLine;

/** libvirt 9.0's and libslirp-helper's command lines, translated or refused with a reason. */
class SlirpHelperArgsTest {
    static SlirpHelperArgs.Translation t(String... args) throws Exception {
        return SlirpHelperArgs.translate(List.of(args));
    }

    static String refusal(String... args) {
        return assertThrows(SlirpHelperArgs.UsageException.class, () -> t(args)).getMessage();
    }

    @Test
    void libvirtsExactCommandLine() throws Exception {
        // as seen from libvirt 9.0 (the measured argv), with the --net it adds for an <ip> element
        SlirpHelperArgs.Translation tr = t("--fd=32", "--net=172.17.2.0/24", "--dbus-id=slirp-52:54:00:aa:bb:01",
                "--dbus-address=unix:path=/run/libvirt/qemu/dbus/1-vm-dbus.sock", "--dbus-incoming",
                "--exit-with-parent");
        assertTrue(tr.exitWithParent());
        assertFalse(tr.printCapabilities());
        assertEquals(List.of("--fd=32", "--network=172.17.2.0/24", "--vmstate-id=slirp-52:54:00:aa:bb:01",
                "--instance=slirp_52_54_00_aa_bb_01", "--bus-address=unix:path=/run/libvirt/qemu/dbus/1-vm-dbus.sock",
                "--hold-dhcp-until-load"), tr.helperArgs());
    }

    @Test
    void capabilitiesAreWhatWorks() throws Exception {
        assertTrue(t("--print-capabilities").printCapabilities());
        assertEquals("{\"features\":[\"ipv4\",\"dbus-address\",\"migrate\",\"restrict\",\"exit-with-parent\"]}",
                SlirpHelperArgs.capabilitiesJson());
    }

    @Test
    void libslirpHelperOptionsThatMap() throws Exception {
        assertEquals(List.of("--restrict", "--mtu=9000", "--disable-host-loopback", "--search=a.example",
                        "--search=b.example", "--domain=vm.example", "--log-level=debug", "--network=10.1.0.0/16"),
                t("-r", "--mtu", "9000", "--disable-host-loopback", "--dns-suffixes=a.example,b.example",
                        "--domainname", "vm.example", "--debug", "--disable-ipv6", "--net", "10.1.2.3/16",
                        "--host=10.1.0.2", "--dhcp-dns=10.1.0.3", "--dhcp-start=10.1.0.15").helperArgs());
        // this helper's own options pass through, picocli checks them
        assertEquals(List.of("--forward=tcp:8022:22", "--upstream=127.0.0.1:5353"),
                t("--forward", "tcp:8022:22", "--upstream=127.0.0.1:5353").helperArgs());
    }

    @Test
    void whatDoesNotMapIsRefusedSayingWhy() {
        assertTrue(refusal("--fd=32", "--net6=fec0::/64").contains("IPv6 is not supported"));
        assertTrue(refusal("--tftp=/srv").contains("no TFTP"));
        assertTrue(refusal("--dbus-p2p=7").contains("--dbus-address"));
        assertTrue(refusal("--hostname", "g").contains("does not assign host names"));
        assertTrue(refusal("--host=10.0.2.9").contains("10.0.2.2"));
        assertTrue(refusal("--net=10.0.2.0").contains("ADDR/PREFIX"));
        assertTrue(refusal("--fd").contains("needs a value"));
        assertTrue(refusal("--exit-with-parent=yes").contains("takes no value"));
        assertTrue(refusal("stray").contains("unexpected argument"));
    }

    @Test
    void instanceNamesFromLibvirtsIds() {
        assertEquals("slirp_52_54_00_aa_bb_01", InstanceOptions.instanceFor("slirp-52:54:00:aa:bb:01"));
        assertEquals("_1nic", InstanceOptions.instanceFor("1nic"));
    }

    /** Main's instance options after parsing {@code args}. */
    static InstanceOptions parsed(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.parseArgs(args);
        return (InstanceOptions) cl.getMixins().get("instance");
    }

    static final HelperIdentity HELPER = HelperIdentity.of("slirp-dhcp", "x", "", SlirpDhcp1.class);

    @Test
    void identityOfAnInstance() {
        HelperIdentity id = parsed("--vmstate-id=slirp-52:54:00:aa:bb:01", "--instance=slirp_52_54_00_aa_bb_01")
                .identity(HELPER);
        assertEquals("org.qemu.SlirpDhcp1.slirp_52_54_00_aa_bb_01", id.busName());
        assertEquals("/org/qemu/SlirpDhcp1", id.objectPath());
        assertEquals("slirp-52:54:00:aa:bb:01", id.vmStateId());
        InstanceOptions plain = parsed();
        assertEquals("org.qemu.SlirpDhcp1", plain.identity(HELPER).busName());
        assertEquals("slirp-dhcp", plain.identity(HELPER).vmStateId());
        CommandLine.ParameterException bad = assertThrows(CommandLine.ParameterException.class,
                () -> new CommandLine(new Main()).parseArgs("--instance=a.b"));
        assertTrue(bad.getMessage().contains("--instance"), bad.getMessage());
        assertThrows(CommandLine.ParameterException.class,
                () -> new CommandLine(new Main()).parseArgs("--vmstate-id=has space"));
    }
}
