import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Key operations per second over one persistent TPM data connection, the same command stream for
 * any TPM. Usage: java KeysBench.java HOST PORT SECONDS OPERATION [LABEL], OPERATION one of
 * createprimary-rsa, createprimary-ecc (the tpm2-tools SRK template, the same every time),
 * createprimary-rsa-new, createprimary-ecc-new (the unique field changes every time: a new key),
 * quote-rsa, quote-ecc (RSASSA / ECDSA SHA-256 over PCRs sha256:0-7), unseal (password session),
 * context (ContextSave + ContextLoad + FlushContext of the loaded copy).
 */
public final class KeysBench {
    private static final String PW = "00000009 40000009 0000 01 0000";
    private static final String RSA_SRK = "0001 000b 00030072 0000 0006 0080 0043 0010 0800 00000000";
    private static final String ECC_SRK = "0023 000b 00030072 0000 0006 0080 0043 0010 0003 0010";
    private static final String RSA_SIGN = "0001 000b 00040072 0000 0010 0014 000b 0800 00000000 0000";
    private static final String ECC_SIGN = "0023 000b 00040072 0000 0010 0018 000b 0003 0010 0000 0000";
    private static final String SEAL = "0008 000b 00000052 0000 0010 0000";

    private static Socket socket;
    private static OutputStream out;
    private static DataInputStream in;
    private static final byte[] RESP = new byte[4096];
    private static int respLen;

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        double seconds = Double.parseDouble(args[2]);
        String op = args[3];
        String label = args.length > 4 ? args[4] : host + ":" + port;
        socket = new Socket(host, port);
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
        in = new DataInputStream(socket.getInputStream());
        int rc = exchange(cmd("8001 00000000 00000144 0000"));
        if (rc != 0 && rc != 0x100) {
            throw new IOException("Startup failed: rc=0x" + Integer.toHexString(rc));
        }
        flushAll();
        Runnable once = operation(op);
        long warmEnd = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < warmEnd) {
            once.run();
        }
        long n = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            once.run();
            n++;
        }
        double secs = (System.nanoTime() - start) / 1e9;
        flushAll();
        System.out.printf("%-12s %s: %d in %.1f s = %.1f /s%n", label, op, n, secs, n / secs);
        socket.close();
    }

    private static long counter;

    /** One timed operation on this connection (set up here, outside the timing). */
    private static Runnable operation(String op) throws IOException {
        switch (op) {
            case "createprimary-rsa", "createprimary-ecc", "createprimary-rsa-new", "createprimary-ecc-new" -> {
                boolean rsa = op.contains("rsa");
                boolean fresh = op.endsWith("-new");
                return () -> {
                    String unique;
                    if (fresh) {
                        String c = String.format("%08x", counter++);
                        unique = rsa ? " 0004 " + c : " 0004 " + c + " 0000";
                    } else {
                        unique = rsa ? " 0000" : " 0000 0000";
                    }
                    long h = createPrimary((rsa ? RSA_SRK : ECC_SRK) + unique, "0004 0000 0000");
                    check(exchange(cmd("8001 00000000 00000165 " + hex32(h))), "FlushContext");
                };
            }
            case "quote-rsa", "quote-ecc" -> {
                long key = createPrimary(op.equals("quote-rsa") ? RSA_SIGN : ECC_SIGN, "0004 0000 0000");
                byte[] quote = cmd("8002 00000000 00000158 " + hex32(key) + PW
                        + " 0008 0102030405060708 0010 00000001 000b 03 ff0000");
                return () -> check(exchange(quote), "Quote");
            }
            case "unseal" -> {
                long obj = createPrimary(SEAL, "000f 0000 000b 7365616c65642064617461");
                byte[] unseal = cmd("8002 00000000 0000015e " + hex32(obj) + PW);
                return () -> check(exchange(unseal), "Unseal");
            }
            case "context" -> {
                long obj = createPrimary(ECC_SRK + " 0000 0000", "0004 0000 0000");
                byte[] save = cmd("8001 00000000 00000162 " + hex32(obj));
                return () -> {
                    check(exchange(save), "ContextSave");
                    byte[] context = Arrays.copyOfRange(RESP, 10, respLen);
                    byte[] load = cmd("8001 00000000 00000161 " + HexFormat.of().formatHex(context));
                    check(exchange(load), "ContextLoad");
                    long copy = ByteBuffer.wrap(RESP, 10, 4).getInt() & 0xFFFFFFFFL;
                    check(exchange(cmd("8001 00000000 00000165 " + hex32(copy))), "FlushContext");
                };
            }
            default -> throw new IllegalArgumentException("unknown operation " + op);
        }
    }

    /** CreatePrimary under the owner hierarchy; the handle. */
    private static long createPrimary(String template, String inSensitive) {
        byte[] t = HexFormat.of().parseHex(template.replace(" ", ""));
        check(exchange(cmd("8002 00000000 00000131 40000001" + PW + " " + inSensitive + " "
                + String.format("%04x", t.length) + HexFormat.of().formatHex(t) + " 0000 00000000")), "CreatePrimary");
        return ByteBuffer.wrap(RESP, 10, 4).getInt() & 0xFFFFFFFFL;
    }

    /** Flushes every transient object (GetCapability HANDLES 0x80000000, then FlushContext each). */
    private static void flushAll() {
        check(exchange(cmd("8001 00000000 0000017a 00000001 80000000 00000010")), "GetCapability");
        int count = ByteBuffer.wrap(RESP, 15, 4).getInt();
        long[] handles = new long[count];
        for (int i = 0; i < count; i++) {
            handles[i] = ByteBuffer.wrap(RESP, 19 + 4 * i, 4).getInt() & 0xFFFFFFFFL;
        }
        for (long h : handles) {
            check(exchange(cmd("8001 00000000 00000165 " + hex32(h))), "FlushContext");
        }
    }

    private static String hex32(long v) {
        return String.format("%08x", v);
    }

    private static byte[] cmd(String hex) {
        byte[] b = HexFormat.of().parseHex(hex.replace(" ", ""));
        ByteBuffer.wrap(b, 2, 4).putInt(b.length);
        return b;
    }

    private static void check(int rc, String what) {
        if (rc != 0) {
            throw new IllegalStateException(what + " failed: rc=0x" + Integer.toHexString(rc));
        }
    }

    /** One command; TPM_RC_RETRY (the first DA-protected authorisation after Startup) is resent, as tpm2-tss does. */
    private static int exchange(byte[] cmd) {
        try {
            for (int attempt = 0; ; attempt++) {
                out.write(cmd);
                out.flush();
                in.readFully(RESP, 0, 10);
                respLen = ByteBuffer.wrap(RESP, 2, 4).getInt();
                in.readFully(RESP, 10, respLen - 10);
                int rc = ByteBuffer.wrap(RESP, 6, 4).getInt();
                if (rc != 0x922 || attempt == 3) {
                    return rc;
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
