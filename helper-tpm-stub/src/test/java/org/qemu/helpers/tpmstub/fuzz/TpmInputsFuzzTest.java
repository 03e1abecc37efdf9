package org.qemu.helpers.tpmstub.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.qemu.helpers.common.vmstate.InvalidStateException;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.tpmstub.device.TpmDevice;
import org.qemu.helpers.tpmstub.dbus.TpmVMStateCodec;
import org.qemu.helpers.tpmstub.Hex;
import org.qemu.helpers.tpmstub.engine.CommandCode;
import org.qemu.helpers.tpmstub.engine.HashAlg;
import org.qemu.helpers.tpmstub.engine.HostileCommands;
import org.qemu.helpers.tpmstub.engine.StateFormatException;
import org.qemu.helpers.tpmstub.engine.TpmEngine;
import org.qemu.helpers.tpmstub.engine.TpmState;
import org.qemu.helpers.tpmstub.store.StateStore;
import org.qemu.helpers.tpmstub.transport.ControlChannel;

/**
 * Fuzz targets (Jazzer) for everything tpm-stub reads from a less trusted peer: TPM 2.0 commands on the data
 * channel (QEMU forwards the guest's), swtpm control messages, and the state blobs a migration or a state
 * directory hands it. The test suite replays the committed corpus; {@code deploy/fuzz.sh MINUTES} fuzzes for
 * real. A command always gets a well-formed response (TPM 2.0 Part 1 18.8: a header whose size is the
 * response's), a control message a result code, a blob a typed refusal; anything else is a finding.
 */
class TpmInputsFuzzTest {
    private static final Set<HashAlg> BANKS = EnumSet.of(HashAlg.SHA1, HashAlg.SHA256);
    private static final CommandCode[] CODES = CommandCode.values();

    /** TPM2_Startup(TPM_SU_CLEAR): most interesting paths need a started TPM. */
    private static final byte[] STARTUP_CLEAR = {(byte) 0x80, 0x01, 0, 0, 0, 12, 0, 0, 1, 0x44, 0, 0};

    @FuzzTest
    void commands(FuzzedDataProvider in) throws StateFormatException {
        Random seeded = new Random(1);
        long[] clock = {0};
        TpmEngine tpm = new TpmEngine(BANKS, () -> clock[0], new TpmEngine.RandomSource() {
            public void fill(byte[] out) {
                seeded.nextBytes(out);
            }

            public void stir(byte[] entropy) {
                // deterministic for the fuzzer
            }
        });
        tpm.init(null);
        if (in.consumeBoolean()) {
            check(STARTUP_CLEAR, tpm.execute(STARTUP_CLEAR, 0).response());
        }
        if (in.consumeBoolean()) {
            // an EK's public part in slot 0x80000000, as tpm2_makecredential loads it: MakeCredential,
            // RSA_Encrypt and the like then reach their actions
            byte[] load = in.pickValue(LOAD_EK);
            check(load, tpm.execute(load, 0).response());
        }
        for (int i = 0; i < 8 && in.remainingBytes() > 0; i++) {
            byte[] command = in.consumeBoolean() ? structured(in) : in.consumeBytes(in.consumeInt(0, 4200));
            clock[0] += in.consumeInt(0, 10_000);
            check(command, tpm.execute(command, in.consumeInt(0, 5)).response());
        }
        // whatever the commands did, the state encodes and decodes again
        TpmState.decodePermanent(tpm.encodePermanent());
        TpmState.decodeVolatile(tpm.encodeVolatile());
    }

    /** LoadExternal (public only) of an RSA and of an ECC EK-like key, in the endorsement hierarchy. */
    private static final byte[][] LOAD_EK = {
        Hex.cmd("8001 00000000 00000167 0000 " + HostileCommands.RSA_EK_PUB + " 4000000b"),
        Hex.cmd("8001 00000000 00000167 0000 " + HostileCommands.ECC_EK_PUB + " 4000000b"),
    };

    /** Session handles an authorisation area names: password, the first HMAC and the first policy session. */
    private static final int[] SESSION_HANDLES = {0x40000009, 0x02000000, 0x03000000};

    /**
     * A header with a known command code and a plausible size, then fuzzed parameters; or, for a command
     * with handles, fuzzed handles and a well-formed authorisation area (password, HMAC or policy session,
     * fuzzed attributes: decrypt/encrypt/audit included) before them.
     */
    private static byte[] structured(FuzzedDataProvider in) {
        CommandCode cc = in.pickValue(CODES);
        if (cc == CommandCode.MAKE_CREDENTIAL && in.consumeBoolean()) {
            return makeCredential(in);
        }
        if (cc.handles() > 0 && in.consumeBoolean()) {
            ByteBuffer b = ByteBuffer.allocate(4096);
            b.putShort((short) TpmEngine.ST_SESSIONS).putInt(0).putInt(cc.code());
            for (int i = 0; i < cc.handles(); i++) {
                b.putInt(in.consumeBoolean() ? 0x80000000 + in.consumeInt(0, 3) : in.consumeInt());
            }
            byte[] nonce = in.consumeBytes(in.consumeInt(0, 64));
            byte[] hmac = in.consumeBytes(in.consumeInt(0, 64));
            b.putInt(4 + 2 + nonce.length + 1 + 2 + hmac.length).putInt(in.pickValue(new Integer[] {
                SESSION_HANDLES[0], SESSION_HANDLES[1], SESSION_HANDLES[2]}));
            b.putShort((short) nonce.length).put(nonce).put(in.consumeByte()).putShort((short) hmac.length).put(hmac);
            byte[] params = in.consumeBytes(Math.min(b.remaining(), in.consumeInt(0, 600)));
            b.put(params);
            b.putInt(2, b.position());
            return java.util.Arrays.copyOf(b.array(), b.position());
        }
        byte[] params = in.consumeBytes(in.consumeInt(0, 600));
        int size = in.consumeBoolean() ? 10 + params.length : in.consumeInt(0, 5000);
        return ByteBuffer.allocate(10 + params.length)
                .putShort((short) (in.consumeBoolean() ? TpmEngine.ST_NO_SESSIONS : TpmEngine.ST_SESSIONS))
                .putInt(size).putInt(cc.code()).put(params).array();
    }

    /**
     * TPM2_MakeCredential (no sessions) for a transient handle with a credential and an object Name whose
     * sizes are honest but may exceed what the TPM takes (TPM2B_DIGEST 64, TPM2B_NAME 66 bytes).
     */
    private static byte[] makeCredential(FuzzedDataProvider in) {
        byte[] credential = in.consumeBytes(in.consumeInt(0, 70));
        byte[] name = in.consumeBytes(in.consumeInt(0, 70));
        ByteBuffer b = ByteBuffer.allocate(10 + 4 + 2 + credential.length + 2 + name.length);
        b.putShort((short) TpmEngine.ST_NO_SESSIONS).putInt(b.capacity()).putInt(CommandCode.MAKE_CREDENTIAL.code())
                .putInt(0x80000000 + in.consumeInt(0, 3))
                .putShort((short) credential.length).put(credential).putShort((short) name.length).put(name);
        return b.array();
    }

    private static void check(byte[] command, byte[] response) {
        if (response == null || response.length < 10) {
            throw new IllegalStateException("no TPM response header for a " + command.length + "-byte command");
        }
        ByteBuffer r = ByteBuffer.wrap(response);
        int tag = r.getShort() & 0xffff;
        int size = r.getInt();
        if ((tag != TpmEngine.ST_NO_SESSIONS && tag != TpmEngine.ST_SESSIONS) || size != response.length) {
            throw new IllegalStateException("bad response header tag 0x" + Integer.toHexString(tag) + " size " + size
                    + " for " + response.length + " bytes");
        }
    }

    @FuzzTest
    void stateBlobs(FuzzedDataProvider in) {
        TpmVMStateCodec codec = new TpmVMStateCodec(null); // decode only: apply is never reached
        byte[] blob = in.consumeRemainingAsBytes();
        try {
            codec.decode(blob, 1);
        } catch (InvalidStateException refused) {
            // the only allowed failure
        }
        try {
            TpmState.decodePermanent(blob);
        } catch (StateFormatException refused) {
            // the only allowed failure
        }
        try {
            TpmState.decodeVolatile(blob);
        } catch (StateFormatException refused) {
            // the only allowed failure
        }
    }

    private static TpmDevice device;

    /** One device for the whole run, its state on tmpfs: a control message can change it, as in real use. */
    private static synchronized TpmDevice device() throws Exception {
        if (device == null) {
            Path dir = Files.createTempDirectory(Path.of(Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : "/tmp"),
                    "tpm-fuzz");
            device = TpmDevice.open(StateStore.open(dir), BANKS, EventLog.NONE);
            device.init(0);
        }
        return device;
    }

    @FuzzTest
    void controlMessages(FuzzedDataProvider in) throws Exception {
        TpmDevice tpm = device();
        List<byte[]> reads = new ArrayList<>();
        while (in.remainingBytes() > 0 && reads.size() < 8) {
            byte[] request;
            if (in.consumeBoolean()) {
                int cmd = in.consumeInt(0, 0x13);
                byte[] body = in.consumeBytes(in.consumeInt(0, 64));
                request = ByteBuffer.allocate(4 + body.length).putInt(cmd).put(body).array();
            } else {
                request = in.consumeBytes(in.consumeInt(1, 5000));
            }
            if (request.length > 0) {
                reads.add(request);
            }
        }
        ControlChannel.serve(new ScriptedSocket(reads), tpm, fd -> TpmDevice.TPM_BAD_PARAMETER, EventLog.NONE);
        if (!tpm.running()) {
            tpm.init(0); // CMD_STOP or CMD_SHUTDOWN: start again for the next input
        }
    }

    /**
     * A socket whose reads return the scripted requests one by one (the control channel frames a request by what
     * one read returns, as swtpm does), then end of stream; what is written is kept and dropped.
     */
    private static final class ScriptedSocket extends Socket {
        private final List<byte[]> reads;
        private final ByteArrayOutputStream written = new ByteArrayOutputStream();

        ScriptedSocket(List<byte[]> reads) {
            this.reads = reads;
        }

        @Override
        public InputStream getInputStream() {
            return new InputStream() {
                private int next;
                private ByteArrayInputStream current = new ByteArrayInputStream(new byte[0]);

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    if (current.available() == 0) {
                        if (next == reads.size()) {
                            return -1;
                        }
                        current = new ByteArrayInputStream(reads.get(next++));
                    }
                    return current.read(b, off, len);
                }
            };
        }

        @Override
        public OutputStream getOutputStream() {
            return written;
        }

        @Override
        public void setSoTimeout(int timeout) {
            // reads never block here
        }
    }
}
