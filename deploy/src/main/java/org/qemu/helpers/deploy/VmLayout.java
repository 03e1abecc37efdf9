package org.qemu.helpers.deploy;

import java.nio.file.Path;

/**
 * Where one VM's pieces live under its directory: the bus socket and the helpers' sockets in
 * run/, each helper's state in state/NAME, logs in log/.
 */
record VmLayout(Path dir) {
    Path run() {
        return dir.resolve("run");
    }

    Path busSocket() {
        return run().resolve("bus.sock");
    }

    /** The address QEMU is given: no ",guid=" part (CONTRACT.md). */
    String qemuBusAddress() {
        return "unix:path=" + busSocket();
    }

    Path busConfig() {
        return dir.resolve("bus.conf");
    }

    Path addressFile() {
        return dir.resolve("bus.address");
    }

    Path state(HelperKind k) {
        return dir.resolve("state").resolve(k.shortName());
    }

    Path log(String name) {
        return dir.resolve("log").resolve(name + ".log");
    }

    Path slirpSocket() {
        return run().resolve("slirp.sock");
    }

    Path tpmData() {
        return run().resolve("tpm.sock");
    }

    Path tpmCtrl() {
        return run().resolve("tpm-ctrl.sock");
    }

    /** The launcher's control socket (ControlChannel): save, restore, migrate. */
    Path control() {
        return run().resolve("control.sock");
    }

    Path qmp() {
        return run().resolve("qmp.sock");
    }

    /** The AppCDS archive of a helper's jar, kept between launches. */
    Path cdsArchive(HelperKind k) {
        return dir.resolve("cds").resolve(k.shortName() + ".jsa");
    }

    Path compressRoot() {
        return dir.resolve("files");
    }
}
