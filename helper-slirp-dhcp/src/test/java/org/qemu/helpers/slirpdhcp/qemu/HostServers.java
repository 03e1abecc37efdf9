package org.qemu.helpers.slirpdhcp.qemu;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

/**
 * The "outside" a guest reaches through the NAT, all on the host's 127.0.0.1: an HTTP server that serves a
 * deterministic file and hashes uploads, and a one-block TFTP server (UDP, answers from its own port).
 */
public final class HostServers implements AutoCloseable {
    public final byte[] big;
    public final String bigSha256;
    final HttpServer http;
    final DatagramSocket tftp;
    private final Thread tftpThread;
    volatile byte[] lastUpload;

    public HostServers(int bigBytes) throws Exception {
        big = new byte[bigBytes];
        new Random(20261201).nextBytes(big);
        bigSha256 = sha256(big);
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        http.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(16));
        http.createContext("/big", ex -> {
            ex.sendResponseHeaders(200, big.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(big);
            }
        });
        http.createContext("/small", ex -> {
            byte[] b = "small-ok\n".getBytes(StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(b);
            }
        });
        http.createContext("/upload", ex -> {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            lastUpload = body;
            byte[] b = ("upload-sha256=" + sha256(body) + " length=" + body.length + "\n")
                    .getBytes(StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(b);
            }
        });
        http.start();
        tftp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        tftpThread = new Thread(this::tftpLoop, "test-tftp");
        tftpThread.setDaemon(true);
        tftpThread.start();
    }

    public int httpPort() {
        return http.getAddress().getPort();
    }

    int tftpPort() {
        return tftp.getLocalPort();
    }

    /** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
    public static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** RFC 1350: a read request gets one DATA block (block 1, shorter than 512 bytes: the last). */
    private void tftpLoop() {
        byte[] buf = new byte[1024];
        while (!tftp.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                tftp.receive(p);
                if (p.getLength() > 2 && buf[1] == 1) {
                    byte[] data = "tftp-through-nat\n".getBytes(StandardCharsets.US_ASCII);
                    byte[] out = new byte[4 + data.length];
                    out[1] = 3;
                    out[3] = 1;
                    System.arraycopy(data, 0, out, 4, data.length);
                    tftp.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    public static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        http.stop(0);
        tftp.close();
    }
}
