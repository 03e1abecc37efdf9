package org.qemu.helpers.tpmstub.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketPair;
import org.qemu.helpers.tpmstub.Hex;
import org.qemu.helpers.tpmstub.InProcessTpm;
import org.qemu.helpers.tpmstub.Swtpm;

/** The control and data channels against swtpm's, with hostile input, and CMD_SET_DATAFD over a Unix socket. */
class ControlChannelTest {
    private static final String PCR0_AFTER_ONE_EXTEND = "90f4b39548df55ad6187a1d20d731ecee78c545b94afd16f42ef7592d99cd365";

    private static byte[] ctrl(int port, String hex, int respLen) throws IOException {
        try (Socket c = new Socket("127.0.0.1", port)) {
            c.setSoTimeout(5000);
            c.getOutputStream().write(Hex.bytes(hex));
            return new DataInputStream(c.getInputStream()).readNBytes(respLen);
        }
    }

    @Test
    void controlRepliesMatchSwtpm() throws Exception {
        String[][] steps = {
            {"00000004", "8"}, {"00000005 05", "4"}, {"00000005 03", "4"}, {"00000005 00000000", "4"},
            {"0000000b 00", "4"}, {"0000000b 03", "4"}, {"0000000b 09", "4"}, {"0000000f", "8"},
            {"00000011 00000000", "16"}, {"00000009", "4"}, {"0000000a", "4"},
            {"0000000c 00000000 00000003 00000000", "16"}, {"0000000c 00000000 00000007 00000000", "16"},
            {"00000099", "4"}, {"00000012 0000000000000001 00001000 00000000", "4"},
            {"0000000e", "4"}, {"00000004", "4"}, {"00000009", "4"}, {"0000000a", "4"},
            {"0000000c 00000000 00000001 00000000", "4"}, {"00000011 00000100", "16"},
            {"00000011 00100000", "16"}, {"00000011 00000000", "16"}, {"00000002 00000000", "4"},
            {"00000004", "8"}, {"00000011 00001000", "4"},
        };
        try (Swtpm sw = Swtpm.start("not-need-init")) {
            int port = Swtpm.freePortPair();
            try (InProcessTpm ours = InProcessTpm.tcp(port)) {
                for (String[] st : steps) {
                    int n = Integer.parseInt(st[1]);
                    assertEquals(Hex.str(ctrl(sw.ctrlPort, st[0], n)), Hex.str(ctrl(port + 1, st[0], n)), st[0]);
                }
            }
        }
    }

    /** CMD_HASH_DATA: length, then the data (which may be longer than one request buffer). */
    private static String hashData(byte[] data) {
        return String.format("00000007 %08x ", data.length) + Hex.str(data);
    }

    /**
     * The platform hash indications (PTM_CAP_HASHING) against swtpm: an H-CRTM sequence before
     * Startup lands in PCR 0 and stays there through Startup; a DRTM sequence after Startup (with
     * more data than one request buffer) resets PCRs 17-22 and extends PCR 17; DATA and END without
     * START; the TPM-established flag; the capability word.
     */
    @Test
    void hashStartDataEndMatchSwtpm() throws Exception {
        byte[] big = new byte[10_000];
        new Random(7).nextBytes(big);
        String readDrtm = "8001 00000000 0000017e 00000002 000403030006 000b03030006";
        String[][] steps = {
            {"c", "00000006", "4"}, {"c", hashData("H-CRTM image".getBytes()), "4"}, {"c", "00000008", "4"},
            {"c", "00000004", "8"},
            {"d", "8001 00000000 00000144 0000"},
            {"d", "8001 00000000 0000017e 00000004 000403010000 000b03010000 000c03010000 000d03010000"},
            {"d", readDrtm},
            {"d", "8002 00000000 00000182 00000011 00000009 40000009 0000 01 0000 00000001 000b" + "11".repeat(32)},
            {"c", "00000005 04", "4"},
            {"c", "00000006", "4"}, {"c", hashData(big), "4"}, {"c", hashData(new byte[0]), "4"},
            {"c", "00000008", "4"},
            {"c", "00000005 00", "4"},
            {"d", readDrtm},
            {"d", "8001 00000000 0000017a 00000001 80000000 00000010"},
            {"d", "8001 00000000 00000181"},
            // a TPM command between START and END ends the sequence: END then changes nothing
            {"c", "00000006", "4"}, {"c", hashData("aborted".getBytes()), "4"},
            {"d", "8001 00000000 0000017a 00000001 80000000 00000010"},
            {"c", "00000008", "4"},
            {"d", readDrtm},
            {"c", hashData("no sequence".getBytes()), "4"}, {"c", "00000008", "4"},
            {"d", readDrtm},
            {"c", "00000004", "8"},
        };
        try (Swtpm sw = Swtpm.start("not-need-init")) {
            int port = Swtpm.freePortPair();
            try (InProcessTpm ours = InProcessTpm.tcp(port);
                 Socket data = new Socket("127.0.0.1", port)) {
                data.setSoTimeout(10_000);
                // every swtpm 0.7.1 capability now, PTM_CAP_HASHING included, but SEND_COMMAND_HEADER (0x8000)
                long theirs = ByteBuffer.wrap(ctrl(sw.ctrlPort, "00000001", 8)).getLong();
                assertEquals(0xffffL, theirs);
                assertEquals(theirs & ~0x8000L, ByteBuffer.wrap(ctrl(port + 1, "00000001", 8)).getLong());
                for (String[] st : steps) {
                    String what = st[1].substring(0, Math.min(40, st[1].length()));
                    if (st[0].equals("c")) {
                        int n = Integer.parseInt(st[2]);
                        String expected = Hex.str(ctrl(sw.ctrlPort, st[1], n));
                        String got;
                        try {
                            got = Hex.str(ctrl(port + 1, st[1], n));
                        } catch (SocketTimeoutException e) {
                            throw new AssertionError("no reply to " + what, e);
                        }
                        assertEquals(expected, got, what);
                    } else {
                        byte[] cmd = Hex.cmd(st[1]);
                        byte[] theirs1 = sw.command(cmd);
                        byte[] ours1 = Swtpm.exchange(data, cmd);
                        if (st[1].endsWith("00000181")) { // ReadClock: the restart count, not the clock
                            assertEquals(ByteBuffer.wrap(theirs1, 26, 8).getLong(), ByteBuffer.wrap(ours1, 26, 8).getLong(),
                                    "resetCount and restartCount");
                            continue;
                        }
                        assertEquals(Hex.str(theirs1), Hex.str(ours1), st[1]);
                    }
                }
                // and the DRTM did land: PCR 17 is no longer all ones, PCR 18 is reset to zeros
                String pcrs = Hex.str(Swtpm.exchange(data, Hex.cmd("8001 00000000 0000017e 00000001 000b03000006")));
                assertTrue(pcrs.endsWith("0020" + "00".repeat(32)), pcrs);
                assertTrue(!pcrs.contains("ff".repeat(32)) && !pcrs.contains("0020" + "00".repeat(32) + "0020"), pcrs);
            }
        }
    }

    @Test
    void stateBlobsRoundTripAndABadBlobIsRefusedAndChangesNothing() throws Exception {
        int port = Swtpm.freePortPair();
        try (InProcessTpm a = InProcessTpm.tcp(port)) {
            a.device.execute(Hex.cmd("8001 00000000 00000144 0000"));
            a.device.execute(Hex.cmd("8002 00000000 00000182 00000000 00000009 40000009 0000 01 0000 00000001 000b"
                    + "00".repeat(31) + "01"));
            // what the permanent blob must carry besides: an NV index with data, a persistent key, the seeds
            assertEquals(0, rc(a.device.execute(Hex.cmd(NV_DEFINE))));
            assertEquals(0, rc(a.device.execute(Hex.cmd(NV_WRITE))));
            byte[] srk = a.device.execute(Hex.cmd(CREATE_SRK));
            assertEquals(0, rc(srk));
            assertEquals(0, rc(a.device.execute(Hex.cmd(EVICT_SRK))));
            String persistent = Hex.str(a.device.execute(Hex.cmd(READ_PERSISTENT)));
            byte[][] blobs = new byte[3][];
            for (int type = 1; type <= 2; type++) {
                byte[] hdr = ctrl(port + 1, String.format("0000000c 00000000 %08x 00000000", type), 16);
                int len = ByteBuffer.wrap(hdr, 12, 4).getInt();
                try (Socket c = new Socket("127.0.0.1", port + 1)) {
                    c.getOutputStream().write(Hex.bytes(String.format("0000000c 00000000 %08x 00000000", type)));
                    DataInputStream in = new DataInputStream(c.getInputStream());
                    in.readFully(new byte[16]);
                    blobs[type] = new byte[len];
                    in.readFully(blobs[type]);
                }
            }
            int port2 = Swtpm.freePortPair();
            try (InProcessTpm b = InProcessTpm.tcp(port2)) {
                assertEquals("0000000a", Hex.str(setBlob(port2, 1, blobs[1]))); // running: refused
                assertEquals("00000000", Hex.str(ctrl(port2 + 1, "0000000e", 4)));
                byte[] bad = blobs[1].clone();
                bad[20] ^= 1;
                assertEquals("00000003", Hex.str(setBlob(port2, 1, bad)));
                assertEquals("00000003", Hex.str(setBlob(port2, 2, new byte[7])));
                assertEquals("00000000", Hex.str(setBlob(port2, 1, blobs[1])));
                assertEquals("00000000", Hex.str(setBlob(port2, 2, blobs[2])));
                assertEquals("00000000", Hex.str(ctrl(port2 + 1, "00000002 00000001", 4)));
                byte[] read = b.device.execute(Hex.cmd("8001 00000000 0000017e 00000001 000b03010000"));
                assertTrue(Hex.str(read).endsWith(PCR0_AFTER_ONE_EXTEND), Hex.str(read));
                assertTrue(Hex.str(b.device.execute(Hex.cmd(NV_READ))).contains("0004cafebabe"), "the NV index's data");
                assertEquals(persistent, Hex.str(b.device.execute(Hex.cmd(READ_PERSISTENT))), "the persistent key");
                assertEquals(outPublic(srk), outPublic(b.device.execute(Hex.cmd(CREATE_SRK))), "the owner's seed");
            }
        }
    }

    private static final String PW = " 00000009 40000009 0000 01 0000";
    private static final String NV_DEFINE = "8002 00000000 0000012a 40000001" + PW
            + " 0000 000e 01000020 000b 00020002 0000 0004"; // ownerread|ownerwrite, 4 bytes
    private static final String NV_WRITE = "8002 00000000 00000137 40000001 01000020" + PW + " 0004 cafebabe 0000";
    private static final String NV_READ = "8002 00000000 0000014e 40000001 01000020" + PW + " 0004 0000";
    /** The tpm2-tools ECC SRK template in the owner hierarchy. */
    private static final String CREATE_SRK = "8002 00000000 00000131 40000001" + PW
            + " 0004 0000 0000 001a 0023 000b 00030072 0000 0006 0080 0043 0010 0003 0010 0000 0000 0000 00000000";
    private static final String EVICT_SRK = "8002 00000000 00000120 40000001 80000000" + PW + " 81000002";
    private static final String READ_PERSISTENT = "8001 00000000 00000173 81000002";

    private static int rc(byte[] response) {
        return ByteBuffer.wrap(response, 6, 4).getInt();
    }

    /** CreatePrimary's outPublic (after the handle and parameterSize): the key the seed gives. */
    private static String outPublic(byte[] response) {
        ByteBuffer b = ByteBuffer.wrap(response, 18, response.length - 18);
        byte[] pub = new byte[2 + (b.getShort(18) & 0xffff)];
        b.get(pub);
        return Hex.str(pub);
    }

    private static byte[] setBlob(int port, int type, byte[] blob) throws IOException {
        try (Socket c = new Socket("127.0.0.1", port + 1)) {
            c.setSoTimeout(5000);
            ByteBuffer b = ByteBuffer.allocate(16 + blob.length).putInt(0x0d).putInt(0).putInt(type)
                    .putInt(blob.length).put(blob);
            c.getOutputStream().write(b.array());
            return new DataInputStream(c.getInputStream()).readNBytes(4);
        }
    }

    @Test
    void setDataFdServesTheDataChannelOnThePassedSocketOnlyOnce() throws Exception {
        Path dir = Files.createTempDirectory("ctrl-unix");
        Path ctrlPath = dir.resolve("tpm.ctrl");
        try (InProcessTpm tpm = InProcessTpm.start(dir.resolve("state"), null, new Endpoint.Unix(ctrlPath));
             AFUNIXSocket c = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(ctrlPath.toFile()))) {
            c.setSoTimeout(5000);
            AFUNIXSocketPair<AFUNIXSocketChannel> pair = AFUNIXSocketPair.open();
            c.setOutboundFileDescriptors(pair.getSocket2().getFileDescriptor());
            c.getOutputStream().write(Hex.bytes("00000010"));
            assertEquals("00000000", Hex.str(c.getInputStream().readNBytes(4)));
            Socket data = pair.getSocket1().socket();
            assertEquals("80010000000a00000000", Hex.str(Swtpm.exchange(data, Hex.cmd("8001 00000000 00000144 0000"))));
            // a second data channel while the first is open: TPM_IOERROR
            AFUNIXSocketPair<AFUNIXSocketChannel> pair2 = AFUNIXSocketPair.open();
            c.setOutboundFileDescriptors(pair2.getSocket2().getFileDescriptor());
            c.getOutputStream().write(Hex.bytes("00000010"));
            assertEquals("0000001f", Hex.str(c.getInputStream().readNBytes(4)));
            // SET_DATAFD without a descriptor: TPM_BAD_PARAMETER
            c.getOutputStream().write(Hex.bytes("00000010"));
            assertEquals("00000003", Hex.str(c.getInputStream().readNBytes(4)));
            assertEquals("80010000000a00000100", Hex.str(Swtpm.exchange(data, Hex.cmd("8001 00000000 00000144 0000"))));
        } finally {
            Hex.deleteTree(dir);
        }
    }

    @Test
    void aUnixPathThatIsNotASocketIsNeverReplaced() throws Exception {
        Path dir = Files.createTempDirectory("ctrl-path");
        try {
            Path file = dir.resolve("precious");
            Files.writeString(file, "keep me");
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                    () -> InProcessTpm.start(dir.resolve("state"), null, new Endpoint.Unix(file)));
            assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
            assertEquals("keep me", Files.readString(file));
        } finally {
            Hex.deleteTree(dir);
        }
    }

    @Test
    void badFramingOnTheDataChannelGetsCommandSizeAndAClosedConnection() throws Exception {
        int port = Swtpm.freePortPair();
        try (InProcessTpm tpm = InProcessTpm.tcp(port)) {
            for (String hex : new String[] {"8001 00000009 00000144", "8001 00001001 00000144", "8001 ffffffff 00000144"}) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setSoTimeout(5000);
                    s.getOutputStream().write(Hex.bytes(hex));
                    InputStream in = s.getInputStream();
                    assertEquals("80010000000a00000142", Hex.str(in.readNBytes(10)), hex);
                    assertEquals(-1, in.read(), "closed after " + hex);
                }
            }
            try (Socket s = new Socket("127.0.0.1", port)) { // truncated command, then EOF: just closed
                s.setSoTimeout(5000);
                s.getOutputStream().write(Hex.bytes("8001 00000020 00000144 00"));
                s.shutdownOutput();
                assertEquals(-1, s.getInputStream().read());
            }
        }
    }

    /** Hostile commands through the TCP data channel: a response or a closed connection each time. */
    @Test
    void hostileCommandsOnTheDataChannelGetAResponseOrAClose() throws Exception {
        long seed = Long.getLong("tpm.data.seed", 0xDA7AL);
        Random rnd = new Random(seed);
        java.util.List<byte[]> seeds = org.qemu.helpers.tpmstub.engine.HostileCommands.validCommands();
        int port = Swtpm.freePortPair();
        int responses = 0;
        int closes = 0;
        try (InProcessTpm tpm = InProcessTpm.tcp(port)) {
            Socket s = null;
            try {
                for (int i = 0; i < 5_000; i++) {
                    if (s == null) {
                        s = new Socket("127.0.0.1", port);
                        s.setSoTimeout(5000);
                    }
                    byte[] cmd = org.qemu.helpers.tpmstub.engine.HostileCommands.mutate(
                            seeds.get(rnd.nextInt(seeds.size())), rnd, false);
                    long size = cmd.length >= 6 ? ByteBuffer.wrap(cmd, 2, 4).getInt() & 0xFFFFFFFFL : -1;
                    boolean framed = cmd.length >= 10 && size == cmd.length;
                    s.getOutputStream().write(cmd);
                    if (!framed) {
                        s.shutdownOutput(); // the helper sees a bad size or a truncated command
                    }
                    InputStream in = s.getInputStream();
                    // a framed command gets one response; a broken frame gets responses for whatever
                    // whole commands the bytes held, then (bad size or truncation) the connection closes
                    while (true) {
                        byte[] hdr = in.readNBytes(6);
                        if (hdr.length == 0 && !framed) {
                            break;
                        }
                        assertEquals(6, hdr.length, "partial response header");
                        int n = ByteBuffer.wrap(hdr, 2, 4).getInt();
                        assertTrue(n >= 10 && n <= 4096, "response size " + n);
                        assertEquals(n - 6, in.readNBytes(n - 6).length);
                        responses++;
                        if (framed) {
                            break;
                        }
                    }
                    if (!framed) {
                        s.close();
                        s = null;
                        closes++;
                    }
                }
            } catch (IOException | AssertionError e) {
                throw new AssertionError("seed=0x" + Long.toHexString(seed) + " (-Dtpm.data.seed)", e);
            } finally {
                if (s != null) {
                    s.close();
                }
            }
            assertTrue(responses > 4_000 && closes > 100, "responses " + responses + ", closes " + closes);
            assertEquals("00000000", Hex.str(ctrl(port + 1, "00000002 00000000", 4)));
            try (Socket d = new Socket("127.0.0.1", port)) {
                d.setSoTimeout(5000);
                assertEquals("80010000000a00000000", Hex.str(Swtpm.exchange(d, Hex.cmd("8001 00000000 00000144 0000"))));
                Swtpm.exchange(d, Hex.cmd("8002 00000000 00000182 00000000 00000009 40000009 0000 01 0000 00000001 000b"
                        + "00".repeat(31) + "01"));
                String read = Hex.str(Swtpm.exchange(d, Hex.cmd("8001 00000000 0000017e 00000001 000b03010000")));
                assertTrue(read.endsWith(PCR0_AFTER_ONE_EXTEND), read);
            }
        }
    }

    /** Reads the rest of a control reply whose first 4 bytes were {@code first} (tpm_ioctl.h "u.resp"). */
    private static void readRestOfReply(InputStream in, int cmd, int first) throws IOException {
        DataInputStream d = new DataInputStream(in);
        switch (cmd) {
            case 0x01, 0x0f -> d.readFully(new byte[4]);
            case 0x04 -> {
                if (first == 0) {
                    d.readFully(new byte[4]);
                }
            }
            case 0x11 -> {
                if (first == 0) {
                    d.readFully(new byte[12]);
                }
            }
            case 0x0c -> {
                if (first != 0x0a) {
                    d.readInt();
                    d.readInt();
                    int len = d.readInt();
                    d.readFully(new byte[first == 0 ? len : 0]);
                }
            }
            case 0x12 -> {
                if (first == 0) {
                    d.readInt();
                    d.readFully(new byte[d.readInt()]);
                }
            }
            default -> { }
        }
    }

    /** Random, truncated and mutated control messages: a reply or a closed connection each time. */
    @Test
    void hostileControlMessagesNeverBreakTheTpm() throws Exception {
        long seed = Long.getLong("tpm.ctrl.seed", 0xC0FFEEL);
        Random rnd = new Random(seed);
        int port = Swtpm.freePortPair();
        int replies = 0;
        int closes = 0;
        try (InProcessTpm tpm = InProcessTpm.tcp(port)) {
            Socket s = null;
            try {
                for (int i = 0; i < 10_000; i++) {
                    if (s == null) {
                        s = new Socket("127.0.0.1", port + 1);
                        s.setSoTimeout(5000);
                    }
                    int cmd = rnd.nextInt(10) == 0 ? rnd.nextInt() : 1 + rnd.nextInt(0x13);
                    if (cmd == 0x03 || cmd == 0x0e || cmd == 0x10 || cmd == 0x0d) {
                        cmd = 0x04; // keep the TPM running and the channel framed; SET_STATEBLOB is tested above
                    }
                    byte[] body = new byte[ControlChannel.fixedSize(cmd)];
                    rnd.nextBytes(body);
                    if (cmd == 0x07) { // HASH_DATA: a length that may not match
                        ByteBuffer.wrap(body).putInt(rnd.nextInt(64));
                    }
                    boolean truncate = body.length > 0 && rnd.nextInt(50) == 0;
                    ByteBuffer msg = ByteBuffer.allocate(4 + body.length).putInt(cmd).put(body);
                    int len = truncate ? 4 + rnd.nextInt(body.length) : msg.capacity();
                    s.getOutputStream().write(msg.array(), 0, len);
                    if (truncate || cmd == 0x07) {
                        s.shutdownOutput();
                        try {
                            while (s.getInputStream().read() >= 0) {
                                // drain until the server closes
                            }
                        } catch (IOException e) {
                            // reset: also a close
                        }
                        s.close();
                        s = null;
                        closes++;
                        continue;
                    }
                    byte[] r = s.getInputStream().readNBytes(4);
                    if (r.length < 4) {
                        s.close();
                        s = null;
                        closes++;
                        continue;
                    }
                    replies++;
                    readRestOfReply(s.getInputStream(), cmd, ByteBuffer.wrap(r).getInt());
                }
            } catch (SocketTimeoutException | EOFException e) {
                throw new AssertionError("no reply; seed=0x" + Long.toHexString(seed) + " (-Dtpm.ctrl.seed)", e);
            } finally {
                if (s != null) {
                    s.close();
                }
            }
            assertTrue(replies > 7_500, "replies " + replies + ", closes " + closes);
            // the TPM still works
            assertEquals("00000000", Hex.str(ctrl(port + 1, "00000005 00", 4)));
            assertEquals("00000000", Hex.str(ctrl(port + 1, "00000002 00000000", 4)));
            try (Socket d = new Socket("127.0.0.1", port)) {
                d.setSoTimeout(5000);
                assertEquals("80010000000a00000000", Hex.str(Swtpm.exchange(d, Hex.cmd("8001 00000000 00000144 0000"))));
                Swtpm.exchange(d, Hex.cmd("8002 00000000 00000182 00000000 00000009 40000009 0000 01 0000 00000001 000b"
                        + "00".repeat(31) + "01"));
                String read = Hex.str(Swtpm.exchange(d, Hex.cmd("8001 00000000 0000017e 00000001 000b03010000")));
                assertTrue(read.endsWith(PCR0_AFTER_ONE_EXTEND), read);
            }
        }
    }
}
