package org.qemu.helpers.tpmstub.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

import org.junit.jupiter.api.Test;
import org.qemu.helpers.tpmstub.Hex;
import org.qemu.helpers.tpmstub.InProcessTpm;
import org.qemu.helpers.tpmstub.Swtpm;

/**
 * The data channel's framing (Part 1 18.2 commandSize) whatever the reads deliver: commands that
 * arrive together, one byte at a time, or many back to back past the end of the connection's
 * buffer each get exactly their own response, in order.
 */
class DataChannelTest {
    private static final byte[] STARTUP = Hex.bytes("8001 0000000c 00000144 0000");
    /** GetCapability TPM_PROPERTIES TPM_PT_MANUFACTURER, one: a deterministic 27-byte response. */
    private static final byte[] MANUFACTURER = Hex.bytes("8001 00000016 0000017a 00000006 00000105 00000001");

    @Test
    void pipelinedSplitAndWrappingCommandsEachGetTheirResponse() throws Exception {
        int port = Swtpm.freePortPair();
        try (InProcessTpm tpm = InProcessTpm.tcp(port); Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(STARTUP);
            assertEquals("80010000000a00000000", Hex.str(in.readNBytes(10)));
            out.write(MANUFACTURER);
            byte[] alone = readResponse(in);
            assertEquals(0, rc(alone), Hex.str(alone));

            // two in one write
            out.write(concat(MANUFACTURER, 2));
            assertArrayEquals(alone, readResponse(in));
            assertArrayEquals(alone, readResponse(in));

            // one byte per write, the header and the body split everywhere
            for (byte b : MANUFACTURER) {
                out.write(b);
                out.flush();
                Thread.sleep(2);
            }
            assertArrayEquals(alone, readResponse(in));

            // 1,000 back to back (22,000 bytes, several times the buffer): commands and headers
            // straddle its end and are moved to its front
            int n = 1_000;
            Thread writer = new Thread(() -> {
                try {
                    out.write(concat(MANUFACTURER, n));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            writer.start();
            for (int i = 0; i < n; i++) {
                assertArrayEquals(alone, readResponse(in), "response " + i);
            }
            writer.join();
        }
    }

    private static byte[] readResponse(InputStream in) throws java.io.IOException {
        byte[] hdr = in.readNBytes(6);
        assertEquals(6, hdr.length, "response header");
        int size = java.nio.ByteBuffer.wrap(hdr, 2, 4).getInt();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(hdr);
        b.write(in.readNBytes(size - 6));
        assertEquals(size, b.size(), "response body");
        return b.toByteArray();
    }

    private static int rc(byte[] resp) {
        return java.nio.ByteBuffer.wrap(resp, 6, 4).getInt();
    }

    private static byte[] concat(byte[] cmd, int times) {
        byte[] all = new byte[cmd.length * times];
        for (int i = 0; i < times; i++) {
            System.arraycopy(cmd, 0, all, i * cmd.length, cmd.length);
        }
        return all;
    }
}
