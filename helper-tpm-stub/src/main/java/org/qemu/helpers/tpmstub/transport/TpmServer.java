package org.qemu.helpers.tpmstub.transport;

import org.qemu.helpers.common.log.EventLog;
import java.io.Closeable;
import java.io.FileDescriptor;
import java.io.IOException;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;

import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.FileDescriptorCast;
import org.qemu.helpers.tpmstub.device.TpmDevice;

/** The data and control listeners of one TPM, plus a data channel passed in by CMD_SET_DATAFD. */
public final class TpmServer implements Closeable {
    private final TpmDevice tpm;
    private final EventLog log;
    private final AtomicBoolean fdInUse = new AtomicBoolean();
    private SocketServer data;
    private SocketServer ctrl;
    private volatile Socket fdSocket;

    public TpmServer(TpmDevice tpm, EventLog log) {
        this.tpm = tpm;
        this.log = log;
    }

    /** Starts listening; either endpoint may be null. */
    public TpmServer start(Endpoint dataEp, Endpoint ctrlEp) throws IOException {
        if (dataEp != null) {
            data = SocketServer.start(dataEp, "tpm-data", s -> DataChannel.serve(s, tpm));
        }
        if (ctrlEp != null) {
            ctrl = SocketServer.start(ctrlEp, "tpm-ctrl", s -> ControlChannel.serve(s, tpm, this::acceptDataFd, log));
        }
        return this;
    }

    public int dataPort() {
        return data == null ? -1 : data.port();
    }

    public int ctrlPort() {
        return ctrl == null ? -1 : ctrl.port();
    }

    /** CMD_SET_DATAFD: serve the passed socket as the data channel; only one at a time (else TPM_IOERROR). */
    private int acceptDataFd(FileDescriptor fd) {
        if (!fdInUse.compareAndSet(false, true)) {
            return TpmDevice.TPM_IOERROR;
        }
        Socket s;
        try {
            s = FileDescriptorCast.using(fd).as(AFUNIXSocket.class);
        } catch (IOException | RuntimeException e) {
            fdInUse.set(false);
            return TpmDevice.TPM_BAD_PARAMETER;
        }
        fdSocket = s;
        Thread t = new Thread(() -> {
            try (s) {
                DataChannel.serve(s, tpm);
            } catch (IOException | RuntimeException e) {
                log.debug("data-fd-ended", "reason", e.getClass().getSimpleName());
            } finally {
                fdSocket = null;
                fdInUse.set(false);
            }
        }, "tpm-data-fd");
        t.setDaemon(true);
        t.start();
        return TpmDevice.TPM_SUCCESS;
    }

    @Override
    public void close() throws IOException {
        try {
            if (data != null) {
                data.close();
            }
        } finally {
            try {
                if (ctrl != null) {
                    ctrl.close();
                }
            } finally {
                Socket s = fdSocket;
                if (s != null) {
                    s.close();
                }
            }
        }
    }
}
