package org.qemu.helpers.tpmstub.dbus;

import java.nio.ByteBuffer;

import org.qemu.helpers.common.vmstate.InvalidStateException;
import org.qemu.helpers.common.vmstate.VMStateCodec;
import org.qemu.helpers.tpmstub.device.TpmDevice;
import org.qemu.helpers.tpmstub.engine.StateFormatException;
import org.qemu.helpers.tpmstub.engine.TpmState;

/**
 * VMState1 payload (Id {@code tpm-stub}), version 1: u32 length + permanent blob, u32 length +
 * volatile blob (each versioned and CRC-protected by {@link TpmState}). Load validates both
 * before touching the TPM.
 */
public final class TpmVMStateCodec implements VMStateCodec<TpmVMStateCodec.Decoded> {
    /** A validated state. */
    public record Decoded(TpmState.Permanent permanent, TpmState.Volatile volatileState) { }

    private final TpmDevice tpm;

    public TpmVMStateCodec(TpmDevice tpm) {
        this.tpm = tpm;
    }

    @Override
    public int payloadVersion() {
        return 1;
    }

    @Override
    public byte[] save() {
        TpmDevice.Blob p = tpm.getStateBlobAlways(1);
        TpmDevice.Blob v = tpm.getStateBlobAlways(2);
        return ByteBuffer.allocate(8 + p.data().length + v.data().length)
                .putInt(p.data().length).put(p.data()).putInt(v.data().length).put(v.data()).array();
    }

    @Override
    public Decoded decode(byte[] payload, int payloadVersion) throws InvalidStateException {
        if (payloadVersion != 1) {
            throw new InvalidStateException("tpm-stub state version " + payloadVersion + " is not supported (want 1)");
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(payload);
            byte[] p = chunk(b);
            byte[] v = chunk(b);
            if (b.hasRemaining()) {
                throw new InvalidStateException("tpm-stub state has " + b.remaining() + " trailing bytes");
            }
            return new Decoded(TpmState.decodePermanent(p), TpmState.decodeVolatile(v));
        } catch (StateFormatException e) {
            throw new InvalidStateException("tpm-stub state refused: " + e.getMessage());
        }
    }

    private static byte[] chunk(ByteBuffer b) throws InvalidStateException {
        if (b.remaining() < 4) {
            throw new InvalidStateException("tpm-stub state is truncated");
        }
        int n = b.getInt();
        if (n < 0 || n > TpmState.MAX_BLOB || n > b.remaining()) {
            throw new InvalidStateException("tpm-stub state has a bad part length " + n);
        }
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    @Override
    public void apply(Decoded d) {
        tpm.load(d.permanent(), d.volatileState());
    }
}
