package org.qemu.helpers.tpmstub.dbus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.freedesktop.dbus.connections.impl.DBusConnection;
import org.freedesktop.dbus.types.UInt32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;
import org.qemu.helpers.tpmstub.Hex;
import org.qemu.helpers.tpmstub.Main;
import org.qemu.helpers.tpmstub.Swtpm;

/**
 * The load run's finding (issue 11): a bus PcrRead waited behind the TPM commands of tpm2-tools
 * (p50 1.2 s). Here the helper process runs CreatePrimary RSA-2048 with a new key each time,
 * back to back on one data connection, so a long command is nearly always in flight; PcrRead over
 * the bus must still answer at once (from the published view, DeviceView), not after the command.
 */
class TpmBusReadWhileBusyTest {
    @RegisterExtension
    static final PrivateBus BUS = new PrivateBus();

    /** tpm2-tools' RSA SRK template; the unique field (4 bytes) makes every key a new one. */
    private static final String RSA_SRK = "0001 000b 00030072 0000 0006 0080 0043 0010 0800 00000000 0004";
    private static final String PW = "00000009 40000009 0000 01 0000";

    private HelperProcess helper;
    private int port;
    private TpmStub1 tpm;
    private DBusConnection conn;

    @BeforeEach
    void start() throws Exception {
        Path state = Files.createTempDirectory(BUS.dir(), "tpmstate");
        port = Swtpm.freePortPair();
        helper = BUS.startHelper(Main.class, "--state-dir", state.toString(),
                "--server", "tcp:127.0.0.1:" + port, "--ctrl", "tcp:127.0.0.1:" + (port + 1))
                .awaitReady(Duration.ofSeconds(30));
        conn = BUS.connect();
        tpm = conn.getRemoteObject("org.qemu.TpmStub1", "/org/qemu/TpmStub1", TpmStub1.class);
    }

    @AfterEach
    void stop() throws Exception {
        if (helper.isAlive()) {
            assertEquals(0, helper.stop(), helper.output());
        }
    }

    private static int rc(byte[] resp) {
        return ByteBuffer.wrap(resp, 6, 4).getInt();
    }

    @Test
    void pcrReadAnswersWhileLongCommandsRun() throws Exception {
        List<Long> commandNanos = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        byte[] expected;
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            assertEquals(0, rc(Swtpm.exchange(s, Hex.cmd("8001 00000000 00000144 0000"))));
            byte[] digest = new byte[32];
            digest[31] = 1;
            tpm.PcrExtend("sha256", new UInt32(0), digest); // a view published after a command shows it
            expected = tpm.PcrRead("sha256", new UInt32(0));
            assertEquals("90f4b39548df55ad6187a1d20d731ecee78c545b94afd16f42ef7592d99cd365", Hex.str(expected));
            Thread busy = new Thread(() -> {
                try {
                    for (int i = 0; !done.get(); i++) {
                        String unique = String.format("%08x", i);
                        long t0 = System.nanoTime();
                        byte[] r = Swtpm.exchange(s, Hex.cmd("8002 00000000 00000131 40000001" + PW
                                + " 0004 0000 0000 " + String.format("%04x", Hex.bytes(RSA_SRK + unique).length)
                                + RSA_SRK + unique + " 0000 00000000"));
                        commandNanos.add(System.nanoTime() - t0);
                        if (rc(r) != 0) {
                            throw new AssertionError("CreatePrimary rc=0x" + Integer.toHexString(rc(r)));
                        }
                        long handle = ByteBuffer.wrap(r, 10, 4).getInt() & 0xFFFFFFFFL;
                        Swtpm.exchange(s, Hex.cmd("8001 00000000 00000165 " + String.format("%08x", handle)));
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }, "busy-tpm-client");
            busy.start();
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (commandNanos.size() < 2 && System.nanoTime() < until && failure.get() == null) {
                Thread.sleep(10);
            }
            List<Long> readNanos = new ArrayList<>();
            for (int i = 0; i < 25 && failure.get() == null; i++) {
                Thread.sleep(ThreadLocalRandom.current().nextInt(1, 30)); // land anywhere in a command
                long t0 = System.nanoTime();
                byte[] v = tpm.PcrRead("sha256", new UInt32(0));
                readNanos.add(System.nanoTime() - t0);
                assertArrayEquals(expected, v);
            }
            done.set(true);
            busy.join(60_000);
            if (failure.get() != null) {
                throw new AssertionError("the busy client failed", failure.get());
            }
            long command = median(commandNanos);
            long read = median(readNanos);
            assumeTrue(command >= 20_000_000L, "CreatePrimary RSA took only " + command / 1_000_000
                    + " ms here: too short to tell a waiting PcrRead from a prompt one");
            // waiting behind the command in flight costs half a command on median; the view costs a bus round trip
            assertTrue(read < command / 4, "PcrRead median " + read / 1_000 + " us while CreatePrimary RSA takes "
                    + command / 1_000 + " us: the bus read waited behind the TPM command");
        }
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
