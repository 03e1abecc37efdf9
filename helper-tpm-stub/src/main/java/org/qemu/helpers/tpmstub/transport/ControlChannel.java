package org.qemu.helpers.tpmstub.transport;

import org.qemu.helpers.common.log.EventLog;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

import org.newsclub.net.unix.AFUNIXSocket;
import org.qemu.helpers.tpmstub.device.TpmDevice;
import org.qemu.helpers.tpmstub.engine.TpmState;

/**
 * swtpm's control channel (include/swtpm/tpm_ioctl.h, "Commands used by the non-CUSE TPMs"):
 * a big-endian 4-byte command code and fixed request fields in, a 4-byte result first out.
 * CMD_SET_DATAFD takes the data channel as a Unix file descriptor (SCM_RIGHTS).
 */
public final class ControlChannel {
    public static final int CMD_GET_CAPABILITY = 0x01;
    public static final int CMD_INIT = 0x02;
    public static final int CMD_SHUTDOWN = 0x03;
    public static final int CMD_GET_TPMESTABLISHED = 0x04;
    public static final int CMD_SET_LOCALITY = 0x05;
    public static final int CMD_HASH_START = 0x06;
    public static final int CMD_HASH_DATA = 0x07;
    public static final int CMD_HASH_END = 0x08;
    public static final int CMD_CANCEL_TPM_CMD = 0x09;
    public static final int CMD_STORE_VOLATILE = 0x0a;
    public static final int CMD_RESET_TPMESTABLISHED = 0x0b;
    public static final int CMD_GET_STATEBLOB = 0x0c;
    public static final int CMD_SET_STATEBLOB = 0x0d;
    public static final int CMD_STOP = 0x0e;
    public static final int CMD_GET_CONFIG = 0x0f;
    public static final int CMD_SET_DATAFD = 0x10;
    public static final int CMD_SET_BUFFERSIZE = 0x11;
    public static final int CMD_GET_INFO = 0x12;

    /** PTM_CAP_* of everything served here: every capability of swtpm 0.7 for TPM 2 (0x7fff). */
    public static final long CAPS = 0x0001 | 0x0002 | 0x0004 | 0x0008 | 0x0010 | 0x0020 | 0x0040 | 0x0080
            | 0x0100 | 0x0200 | 0x0400 | 0x0800 | 0x1000 | 0x2000 | 0x4000;

    private static final int BODY_TIMEOUT_MS = 10_000;
    /** Largest SET_STATEBLOB / HASH_DATA body read and discarded when refused; beyond it the connection closes. */
    private static final int MAX_DISCARD = 1 << 20;
    private static final int PTM_STATE_FLAG_ENCRYPTED = 2;

    private ControlChannel() { }

    /** Input buffer: the command code plus the largest fixed request (ptm_hdata), as swtpm's. */
    private static final int BUFFER = 4 + 4 + 4096;

    /**
     * Serves control commands on s; dataFd receives the data channel passed by CMD_SET_DATAFD.
     * Like swtpm, a request is what one read returns (at least its fixed fields): QEMU sends some
     * requests padded to the size of their C union (SET_LOCALITY with 4 bytes), tpm2-tss sends
     * them unpadded, and the padding is ignored.
     */
    public static void serve(Socket s, TpmDevice tpm, DataFdSink dataFd, EventLog log) throws IOException {
        AFUNIXSocket unix = s instanceof AFUNIXSocket u ? u : null;
        if (unix != null) {
            unix.setAncillaryReceiveBufferSize(1024);
        }
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] buf = new byte[BUFFER];
        while (true) {
            s.setSoTimeout(0);
            int n = in.read(buf, 0, buf.length);
            if (n <= 0) {
                return;
            }
            s.setSoTimeout(BODY_TIMEOUT_MS);
            FileDescriptor[] fds = unix != null ? unix.getReceivedFileDescriptors() : null;
            try {
                n = fill(in, buf, n, 4);
                int cmd = ByteBuffer.wrap(buf, 0, 4).getInt();
                n = fill(in, buf, n, 4 + fixedSize(cmd));
                ByteBuffer body = ByteBuffer.wrap(buf, 4, n - 4).slice();
                byte[] resp = handle(cmd, body, in, tpm, fds, dataFd, log);
                if (resp == null) {
                    log.debug("ctrl-refused", "cmd", "0x" + Integer.toHexString(cmd), "reason", "oversized body");
                    return;
                }
                log.debug("ctrl", "cmd", "0x" + Integer.toHexString(cmd), "result", "0x"
                        + Integer.toHexString(resp.length >= 4 && cmd != CMD_GET_CAPABILITY
                                ? ByteBuffer.wrap(resp, 0, 4).getInt() : 0));
                out.write(resp);
                out.flush();
            } catch (EOFException | SocketTimeoutException e) {
                closeAll(fds, -1);
                return; // truncated request
            }
        }
    }

    /** Reads until buf holds at least {@code need} bytes (need is at most the buffer size). */
    private static int fill(InputStream in, byte[] buf, int have, int need) throws IOException {
        while (have < need) {
            int r = in.read(buf, have, buf.length - have);
            if (r < 0) {
                throw new EOFException();
            }
            have += r;
        }
        return have;
    }

    /** Size of the fixed request fields after the command code (tpm_ioctl.h "u.req"). */
    static int fixedSize(int cmd) {
        return switch (cmd) {
            case CMD_INIT, CMD_SET_BUFFERSIZE, CMD_HASH_DATA -> 4;
            case CMD_SET_LOCALITY, CMD_RESET_TPMESTABLISHED -> 1;
            case CMD_GET_STATEBLOB, CMD_SET_STATEBLOB -> 12;
            case CMD_GET_INFO -> 16;
            default -> 0;
        };
    }

    /** Receives the data channel of CMD_SET_DATAFD; returns a TPM result code. */
    public interface DataFdSink {
        int accept(FileDescriptor fd);
    }

    private static byte[] res(int r) {
        return ByteBuffer.allocate(4).putInt(r).array();
    }

    private static void closeAll(FileDescriptor[] fds, int skip) {
        if (fds == null) {
            return;
        }
        for (int i = 0; i < fds.length; i++) {
            if (i != skip) {
                try {
                    new java.io.FileInputStream(fds[i]).close();
                } catch (IOException ignored) {
                    // best effort: do not leak descriptors a peer pushed at us
                }
            }
        }
    }

    /** Drops the rest of a request body of n bytes; false if n is too large to drop (the caller then closes). */
    private static boolean discard(ByteBuffer body, InputStream in, long n) throws IOException {
        if (n > MAX_DISCARD) {
            return false;
        }
        long rest = n - Math.min(n, body.remaining());
        in.skipNBytes(rest);
        return true;
    }

    /**
     * CMD_HASH_DATA (ptm_hdata: u32 length, then the data): streamed into the sequence in pieces
     * of at most the request buffer, as swtpm reads it, so any length is hashed in bounded memory.
     * More data in the first read than the length says is TPM_BAD_PARAMETER, as with swtpm.
     */
    private static byte[] hashData(ByteBuffer body, InputStream in, TpmDevice tpm) throws IOException {
        long remain = body.getInt() & 0xFFFFFFFFL;
        if (body.remaining() > remain) {
            return res(TpmDevice.TPM_BAD_PARAMETER);
        }
        if (!tpm.running()) {
            return discard(body, in, remain) ? res(TpmDevice.TPM_BAD_ORDINAL) : null;
        }
        byte[] chunk = new byte[BUFFER - 8];
        int n = body.remaining();
        body.get(chunk, 0, n);
        int rc = TpmDevice.TPM_SUCCESS;
        while (true) {
            if (rc == TpmDevice.TPM_SUCCESS) {
                rc = tpm.hashData(chunk, 0, n);
            }
            remain -= n;
            if (remain == 0) {
                break;
            }
            n = in.read(chunk, 0, (int) Math.min(remain, chunk.length));
            if (n <= 0) {
                throw new EOFException("HASH_DATA body ended early");
            }
        }
        return res(rc);
    }

    /** The request's variable data of n bytes: what came with the request, then the rest from the stream. */
    private static byte[] data(ByteBuffer body, InputStream in, int n) throws IOException {
        byte[] d = new byte[n];
        int have = Math.min(n, body.remaining());
        body.get(d, 0, have);
        new DataInputStream(in).readFully(d, have, n - have);
        return d;
    }

    private static byte[] handle(int cmd, ByteBuffer body, InputStream in, TpmDevice tpm, FileDescriptor[] fds,
                                 DataFdSink dataFd, EventLog log) throws IOException {
        if (cmd != CMD_SET_DATAFD) {
            closeAll(fds, -1);
        }
        switch (cmd) {
            case CMD_GET_CAPABILITY:
                return ByteBuffer.allocate(8).putLong(CAPS).array();
            case CMD_INIT: {
                long flags = body.getInt() & 0xFFFFFFFFL;
                return res(tpm.init(flags));
            }
            case CMD_SHUTDOWN:
                return res(tpm.stop("CMD_SHUTDOWN"));
            case CMD_STOP:
                return res(tpm.stop("CMD_STOP"));
            case CMD_GET_TPMESTABLISHED:
                if (!tpm.running()) {
                    return res(TpmDevice.TPM_BAD_ORDINAL);
                }
                return ByteBuffer.allocate(8).putInt(0).put((byte) (tpm.established() ? 1 : 0)).array();
            case CMD_SET_LOCALITY:
                return res(tpm.setLocality(body.get() & 0xFF));
            case CMD_RESET_TPMESTABLISHED:
                return res(tpm.resetEstablished(body.get() & 0xFF));
            case CMD_HASH_DATA:
                return hashData(body, in, tpm);
            case CMD_HASH_START:
                return res(tpm.hashStart());
            case CMD_HASH_END:
                return res(tpm.hashEnd());
            case CMD_CANCEL_TPM_CMD:
                // commands run to completion quickly; there is never one to cancel
                return res(tpm.running() ? TpmDevice.TPM_SUCCESS : TpmDevice.TPM_BAD_ORDINAL);
            case CMD_STORE_VOLATILE:
                return res(tpm.storeVolatile());
            case CMD_GET_STATEBLOB: {
                body.getInt(); // state_flags: blobs are never encrypted
                int type = body.getInt();
                long offset = body.getInt() & 0xFFFFFFFFL;
                TpmDevice.Blob blob = tpm.getStateBlob(type);
                if (blob.result() == TpmDevice.TPM_BAD_ORDINAL) {
                    return res(blob.result());
                }
                byte[] data = blob.data();
                int n = offset < data.length ? (int) (data.length - offset) : 0;
                ByteBuffer b = ByteBuffer.allocate(16 + n);
                b.putInt(blob.result()).putInt(0).putInt(n).putInt(n);
                if (blob.result() == TpmDevice.TPM_SUCCESS && n > 0) {
                    b.put(data, (int) offset, n);
                }
                return b.array();
            }
            case CMD_SET_STATEBLOB: {
                int flags = body.getInt();
                int type = body.getInt();
                long len = body.getInt() & 0xFFFFFFFFL;
                if (len > TpmState.MAX_BLOB || (flags & PTM_STATE_FLAG_ENCRYPTED) != 0 || tpm.running()) {
                    if (!discard(body, in, len)) {
                        return null;
                    }
                    return res(tpm.running() ? TpmDevice.TPM_BAD_ORDINAL : TpmDevice.TPM_BAD_PARAMETER);
                }
                return res(tpm.setStateBlob(type, data(body, in, (int) len)));
            }
            case CMD_GET_CONFIG:
                return ByteBuffer.allocate(8).putInt(0).putInt(0).array();
            case CMD_SET_DATAFD: {
                if (fds == null || fds.length == 0) {
                    return res(TpmDevice.TPM_BAD_PARAMETER);
                }
                int r = dataFd.accept(fds[0]);
                closeAll(fds, r == TpmDevice.TPM_SUCCESS ? 0 : -1);
                log.debug("data-fd", "accepted", r == 0);
                return res(r);
            }
            case CMD_SET_BUFFERSIZE: {
                TpmDevice.BufferSize bs = tpm.setBufferSize(body.getInt() & 0xFFFFFFFFL);
                if (bs.result() != TpmDevice.TPM_SUCCESS) {
                    return res(bs.result());
                }
                return ByteBuffer.allocate(16).putInt(0).putInt(bs.size()).putInt(bs.min()).putInt(bs.max()).array();
            }
            case CMD_GET_INFO: {
                long flags = body.getLong();
                long offset = body.getInt() & 0xFFFFFFFFL;
                body.getInt(); // pad
                byte[] info = TpmDevice.info(flags);
                if (offset >= info.length) {
                    return res(TpmDevice.TPM_BAD_PARAMETER);
                }
                int n = (int) (info.length + 1 - offset); // the string goes out with its NUL
                ByteBuffer b = ByteBuffer.allocate(12 + n);
                b.putInt(0).putInt(info.length + 1).putInt(n).put(info, (int) offset, n - 1).put((byte) 0);
                return b.array();
            }
            default:
                return res(TpmDevice.TPM_BAD_ORDINAL);
        }
    }
}
