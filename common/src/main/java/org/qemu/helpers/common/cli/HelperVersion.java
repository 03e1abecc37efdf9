package org.qemu.helpers.common.cli;

import picocli.CommandLine.IVersionProvider;

/** --version: the suite version from the jar manifest ("dev" when run from classes). */
public final class HelperVersion implements IVersionProvider {
    /** The Implementation-Version of the running jar, or "dev". */
    public static String current() {
        String v = HelperVersion.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"qemu-dbus-helpers " + current()};
    }
}
