package org.qemu.helpers.deploy;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

/** The helpers of the suite, as the launcher and the bus policies know them (CONTRACT.md). */
public enum HelperKind {
    SLIRP_DHCP("slirp-dhcp", "org.qemu.SlirpDhcp1", true, true),
    COMPRESS("compress", "org.qemu.Compress1", false, false),
    TPM_STUB("tpm-stub", "org.qemu.TpmStub1", true, false),
    UI_CLIENT("ui-client", "org.qemu.UiClient1", false, false);

    private final String shortName;
    private final String busName;
    private final boolean migrates;
    private final boolean instances;

    HelperKind(String shortName, String busName, boolean migrates, boolean instances) {
        this.shortName = shortName;
        this.busName = busName;
        this.migrates = migrates;
        this.instances = instances;
    }

    public String shortName() {
        return shortName;
    }

    public String busName() {
        return busName;
    }

    /** True when the helper queues for org.qemu.VMState1. */
    public boolean migrates() {
        return migrates;
    }

    /**
     * True when several instances may share one bus, each owning {@code BUS_NAME.INSTANCE} (slirp-dhcp's
     * {@code --instance}: one helper per NIC, as libvirt starts them) besides the plain name.
     */
    public boolean hasInstances() {
        return instances;
    }

    /** The jar {@code mvn package} builds: helper-NAME/target/helper-NAME.jar. */
    public String jar() {
        return "helper-" + shortName + "/target/helper-" + shortName + ".jar";
    }

    /** The checkout the running deploy jar was built in (deploy/target/deploy.jar -> the repository root). */
    static Path checkout() {
        try {
            Path jar = Path.of(HelperKind.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return jar.getParent().getParent().getParent();
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of(".").toAbsolutePath();
        }
    }

    /** picocli's converter for a HELPER parameter: an unknown name is a usage error naming the known ones. */
    static final class Converter implements picocli.CommandLine.ITypeConverter<HelperKind> {
        @Override
        public HelperKind convert(String value) {
            try {
                return byName(value);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    public static HelperKind byName(String name) {
        for (HelperKind k : values()) {
            if (k.shortName.equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown helper '" + name + "'; known: " + names());
    }

    public static List<String> names() {
        return java.util.Arrays.stream(values()).map(HelperKind::shortName).toList();
    }
}
