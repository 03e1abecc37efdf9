package org.qemu.helpers.tpmstub;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.qemu.helpers.common.testing.Tools;

/** A real swtpm (the reference peer) on free loopback ports, for one test; killed and cleaned by close(). */
public final class Swtpm implements AutoCloseable {
    private final Process process;
    private final Path dir;
    public final int port;
    public final int ctrlPort;
    private Socket data;

    private Swtpm(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
        this.ctrlPort = port + 1;
    }

    /** Starts {@code swtpm socket --tpm2} with the given --flags (e.g. "not-need-init"). */
    public static Swtpm start(String flags) throws IOException, InterruptedException {
        Tools.require("swtpm", "swtpm");
        Path dir = Files.createTempDirectory("swtpm-test");
        int port = freePortPair();
        List<String> cmd = new ArrayList<>(List.of("swtpm", "socket", "--tpm2",
                "--server", "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
                "--ctrl", "type=tcp,port=" + (port + 1) + ",bindaddr=127.0.0.1",
                "--tpmstate", "dir=" + dir, "--flags", flags));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("swtpm.log").toFile()).start();
        Swtpm s = new Swtpm(p, dir, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port + 1), 200);
                break;
            } catch (IOException e) {
                if (System.nanoTime() > deadline || !p.isAlive()) {
                    s.close();
                    throw new IOException("swtpm did not start: " + Files.readString(dir.resolve("swtpm.log")));
                }
                Thread.sleep(20);
            }
        }
        return s;
    }

    /**
     * A port p such that p and p+1 are free on loopback now. Drawn below the ephemeral range
     * (net.ipv4.ip_local_port_range, 32768-60999 here): Linux gives bind(0) odd ports and connect()
     * even ones, so while another process on this machine churns through loopback connections
     * (thousands in TIME-WAIT), p+1 after a bind(0) was nearly always taken (1 pair in 50 free).
     */
    public static int freePortPair() throws IOException {
        java.util.concurrent.ThreadLocalRandom rnd = java.util.concurrent.ThreadLocalRandom.current();
        for (int i = 0; i < 200; i++) {
            int p = rnd.nextInt(20_000, 32_766);
            try (ServerSocket a = new ServerSocket(p); ServerSocket b = new ServerSocket(p + 1)) {
                return p;
            } catch (IOException busy) {
                // try another
            }
        }
        throw new IOException("no free port pair");
    }

    /** Sends one TPM command on the persistent data connection and returns the response. */
    public byte[] command(byte[] cmd) throws IOException {
        if (data == null) {
            data = new Socket("127.0.0.1", port);
            data.setSoTimeout(10_000);
            data.setTcpNoDelay(true);
        }
        return exchange(data, cmd);
    }

    /** Drops the data connection (the next command opens a new one). */
    public void reconnect() throws IOException {
        if (data != null) {
            data.close();
            data = null;
        }
    }

    public static byte[] exchange(Socket s, byte[] cmd) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(cmd);
        out.flush();
        return readResponse(s.getInputStream());
    }

    public static byte[] readResponse(InputStream in) throws IOException {
        DataInputStream din = new DataInputStream(in);
        byte[] hdr = new byte[6];
        din.readFully(hdr);
        int size = ByteBuffer.wrap(hdr, 2, 4).getInt();
        if (size < 10 || size > 8192) {
            throw new IOException("bad response size " + size);
        }
        byte[] r = new byte[size];
        System.arraycopy(hdr, 0, r, 0, 6);
        din.readFully(r, 6, size - 6);
        return r;
    }

    /** One control-channel exchange on a fresh connection: sends req, reads until respLen bytes. */
    public byte[] ctrl(byte[] req, int respLen) throws IOException {
        try (Socket c = new Socket("127.0.0.1", ctrlPort)) {
            c.setSoTimeout(5000);
            c.getOutputStream().write(req);
            byte[] r = new byte[respLen];
            new DataInputStream(c.getInputStream()).readFully(r);
            return r;
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws IOException {
        try {
            if (data != null) {
                data.close();
            }
        } finally {
            process.destroy();
            try {
                if (!process.waitFor(3, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(3, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
