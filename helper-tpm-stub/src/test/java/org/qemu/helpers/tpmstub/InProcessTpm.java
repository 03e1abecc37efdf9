package org.qemu.helpers.tpmstub;

import org.qemu.helpers.tpmstub.device.TpmDevice;
import org.qemu.helpers.common.log.EventLog;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.stream.Stream;

import org.qemu.helpers.tpmstub.engine.HashAlg;
import org.qemu.helpers.tpmstub.store.StateStore;
import org.qemu.helpers.tpmstub.transport.Endpoint;
import org.qemu.helpers.tpmstub.transport.TpmServer;

/** This helper's TPM with its sockets, in the test JVM, over a temporary state directory. */
public final class InProcessTpm implements AutoCloseable {
    public final Path dir;
    public final TpmDevice device;
    public final TpmServer server;
    private final boolean ownDir;

    private InProcessTpm(Path dir, TpmDevice device, TpmServer server, boolean ownDir) {
        this.dir = dir;
        this.device = device;
        this.server = server;
        this.ownDir = ownDir;
    }

    public static InProcessTpm start(Path stateDir, Endpoint data, Endpoint ctrl) throws Exception {
        boolean own = stateDir == null;
        Path dir = own ? Files.createTempDirectory("tpmstub-test") : stateDir;
        TpmDevice d = TpmDevice.open(StateStore.open(dir), EnumSet.allOf(HashAlg.class), EventLog.NONE);
        TpmServer s = new TpmServer(d, new org.qemu.helpers.common.log.HelperLog("tpm-stub",
                org.qemu.helpers.common.log.HelperLog.Level.DEBUG, System.err));
        try {
            s.start(data, ctrl);
        } catch (IOException e) {
            d.close();
            throw e;
        }
        return new InProcessTpm(dir, d, s, own);
    }

    /** TCP data on port and control on port+1, like swtpm (tpm2-tools' swtpm TCTI expects that). */
    public static InProcessTpm tcp(int port) throws Exception {
        return start(null, new Endpoint.Tcp("127.0.0.1", port), new Endpoint.Tcp("127.0.0.1", port + 1));
    }

    @Override
    public void close() throws IOException {
        try {
            server.close();
        } finally {
            device.close();
            if (ownDir) {
                try (Stream<Path> s = Files.walk(dir)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }
}
