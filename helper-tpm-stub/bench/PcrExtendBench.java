import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;

/**
 * PCR_Extend (sha256, PCR 16, password session) per second over one persistent TPM data
 * connection. Usage: java PcrExtendBench.java HOST PORT SECONDS [LABEL]
 */
public final class PcrExtendBench {
    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        double seconds = Double.parseDouble(args[2]);
        String label = args.length > 3 ? args[3] : host + ":" + port;
        try (Socket s = new Socket(host, port)) {
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] startup = {(byte) 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0};
            int rc = exchange(out, in, startup);
            if (rc != 0 && rc != 0x100) {
                throw new IOException("Startup failed: rc=0x" + Integer.toHexString(rc));
            }
            ByteBuffer b = ByteBuffer.allocate(10 + 4 + 4 + 9 + 4 + 2 + 32);
            b.putShort((short) 0x8002).putInt(b.capacity()).putInt(0x182).putInt(16);
            b.putInt(9).putInt(0x40000009).putShort((short) 0).put((byte) 1).putShort((short) 0);
            b.putInt(1).putShort((short) 0x000B).put(new byte[32]);
            byte[] extend = b.array();
            long warmEnd = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < warmEnd) {
                check(exchange(out, in, extend));
            }
            long n = 0;
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            while (System.nanoTime() < end) {
                check(exchange(out, in, extend));
                n++;
            }
            double secs = (System.nanoTime() - start) / 1e9;
            System.out.printf("%-12s PCR_Extend(sha256): %d in %.1f s = %.0f /s%n", label, n, secs, n / secs);
        }
    }

    private static void check(int rc) throws IOException {
        if (rc != 0) {
            throw new IOException("PCR_Extend failed: rc=0x" + Integer.toHexString(rc));
        }
    }

    private static final byte[] RESP = new byte[4096];

    private static int exchange(OutputStream out, DataInputStream in, byte[] cmd) throws IOException {
        out.write(cmd);
        out.flush();
        in.readFully(RESP, 0, 10);
        int size = ByteBuffer.wrap(RESP, 2, 4).getInt();
        in.readFully(RESP, 10, size - 10);
        return ByteBuffer.wrap(RESP, 6, 4).getInt();
    }
}
