package org.qemu.helpers.tpmstub.transport;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

import org.qemu.helpers.tpmstub.device.TpmDevice;
import org.qemu.helpers.tpmstub.engine.TpmEngine;

/**
 * swtpm's data channel: TPM command in, TPM response out, framed by the commandSize field
 * of the command header (TPM 2.0 Part 1 18.2). A header with an impossible size gets a
 * TPM_RC_COMMAND_SIZE response and the connection is closed, since the framing is lost.
 */
public final class DataChannel {
    private static final int RC_COMMAND_SIZE = 0x142;

    private DataChannel() { }

    /** Serves commands on s until the peer closes it or breaks the framing. */
    public static void serve(Socket s, TpmDevice tpm) throws IOException {
        if (!(s instanceof org.newsclub.net.unix.AFUNIXSocket)) {
            s.setTcpNoDelay(true);
        }
        // one read syscall per command in the common case; no SO_TIMEOUT, which would turn every read
        // into non-blocking read + poll: a stalled peer only blocks its own connection's thread
        InputStream raw = s.getInputStream();
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(raw, 8192));
        OutputStream out = s.getOutputStream();
        byte[] hdr = new byte[6];
        while (true) {
            int first = in.read();
            if (first < 0) {
                return;
            }
            try {
                hdr[0] = (byte) first;
                in.readFully(hdr, 1, 5);
                long size = ((hdr[2] & 0xFFL) << 24) | ((hdr[3] & 0xFF) << 16) | ((hdr[4] & 0xFF) << 8) | (hdr[5] & 0xFF);
                if (size < 10 || size > TpmEngine.MAX_COMMAND_SIZE) {
                    out.write(new byte[] {(byte) 0x80, 0x01, 0, 0, 0, 10, 0, 0, 1, 0x42});
                    out.flush();
                    return;
                }
                byte[] cmd = new byte[(int) size];
                System.arraycopy(hdr, 0, cmd, 0, 6);
                in.readFully(cmd, 6, cmd.length - 6);
                out.write(tpm.execute(cmd));
                out.flush();
            } catch (EOFException e) {
                return; // a truncated command: drop the connection
            }
        }
    }

    static int rcCommandSize() {
        return RC_COMMAND_SIZE;
    }
}
