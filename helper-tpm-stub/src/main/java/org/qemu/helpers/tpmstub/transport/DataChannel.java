package org.qemu.helpers.tpmstub.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Arrays;

import org.qemu.helpers.common.poll.SpinWait;
import org.qemu.helpers.tpmstub.device.TpmDevice;
import org.qemu.helpers.tpmstub.engine.TpmEngine;

/**
 * swtpm's data channel: TPM command in, TPM response out, framed by the commandSize field
 * of the command header (TPM 2.0 Part 1 18.2). A header with an impossible size gets a
 * TPM_RC_COMMAND_SIZE response and the connection is closed, since the framing is lost.
 *
 * <p>The bytes are read straight into one buffer per connection: a command that arrived whole
 * (the usual case, the client writes it with one write) costs one read(2), and bytes of a next
 * command that came with it stay in the buffer for the next round. No buffered or data stream in
 * between: each of those layers took a lock and copied the bytes once more per command.
 */
public final class DataChannel {
    private static final int RC_COMMAND_SIZE = 0x142;
    private static final byte[] COMMAND_SIZE_RESPONSE = {(byte) 0x80, 0x01, 0, 0, 0, 10, 0, 0, 1, 0x42};
    /** The header up to and including commandSize (Part 1 18.2: tag, then the 32-bit size). */
    private static final int SIZE_END = 6;

    /**
     * How long after a response a connection polls for the next command before it blocks (see
     * {@link SpinWait}); system property tpmstub.dataSpinMicros, 0 turns polling off.
     */
    static final long SPIN_NANOS = SpinWait.windowFromProperty("tpmstub.dataSpinMicros", 50);

    private DataChannel() { }

    /** Serves commands on s until the peer closes it or breaks the framing. */
    public static void serve(Socket s, TpmDevice tpm) throws IOException {
        if (!(s instanceof org.newsclub.net.unix.AFUNIXSocket)) {
            s.setTcpNoDelay(true);
        }
        // no SO_TIMEOUT, which would turn every read into non-blocking read + poll: a stalled peer
        // only blocks its own connection's thread
        serve(s.getInputStream(), s.getOutputStream(), tpm);
    }

    /** The framing loop over any byte stream pair (a socket's, or a test's). */
    static void serve(InputStream in, OutputStream out, TpmDevice tpm) throws IOException {
        // twice the largest command: a whole command plus the start of the next always fit
        byte[] buf = new byte[2 * TpmEngine.MAX_COMMAND_SIZE];
        int start = 0;
        int end = 0;
        SpinWait spin = new SpinWait(SPIN_NANOS);
        long sent = 0;
        while (true) {
            boolean polled = false;
            if (start == end) { // nothing pending: read the next command from the front
                start = 0;
                end = 0;
                if (spin.engaged()) {
                    polled = true;
                    awaitCommand(in, spin, sent);
                }
            }
            while (end - start < SIZE_END) {
                if (end == buf.length) { // a header split at the end of the buffer: move it to the front
                    System.arraycopy(buf, start, buf, 0, end - start);
                    end -= start;
                    start = 0;
                }
                int n = in.read(buf, end, buf.length - end);
                if (n < 0) {
                    return; // closed between commands, or inside a header (a truncated command)
                }
                end += n;
            }
            if (!polled && SPIN_NANOS > 0) {
                spin.arrivedAfter(System.nanoTime() - sent);
            }
            long size = ((buf[start + 2] & 0xFFL) << 24) | ((buf[start + 3] & 0xFF) << 16)
                    | ((buf[start + 4] & 0xFF) << 8) | (buf[start + 5] & 0xFF);
            if (size < 10 || size > TpmEngine.MAX_COMMAND_SIZE) {
                out.write(COMMAND_SIZE_RESPONSE);
                out.flush();
                return;
            }
            int total = (int) size;
            if (start + total > buf.length) { // the rest would not fit behind it: move it to the front
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                start = 0;
            }
            while (end - start < total) {
                int n = in.read(buf, end, buf.length - end);
                if (n < 0) {
                    return; // a truncated command: drop the connection
                }
                end += n;
            }
            byte[] cmd = Arrays.copyOfRange(buf, start, start + total);
            start += total;
            out.write(tpm.execute(cmd));
            out.flush();
            if (SPIN_NANOS > 0) {
                sent = System.nanoTime();
            }
        }
    }

    /**
     * Polls until a byte of the next command is readable or the window after {@code sent} has
     * passed; yields between looks, so that a peer (or anyone) waiting for this core runs first.
     */
    private static void awaitCommand(InputStream in, SpinWait spin, long sent) throws IOException {
        if (in.available() > 0) {
            spin.foundWaiting();
            return;
        }
        while (true) {
            Thread.yield();
            if (in.available() > 0) {
                spin.arrivedWhilePolling();
                return;
            }
            if (System.nanoTime() - sent > spin.windowNanos()) {
                spin.timedOut();
                return;
            }
        }
    }

    static int rcCommandSize() {
        return RC_COMMAND_SIZE;
    }
}
