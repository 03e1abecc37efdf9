package org.qemu.helpers.tpmstub.device;

import org.qemu.helpers.tpmstub.engine.HashAlg;
import org.qemu.helpers.tpmstub.engine.PcrAttributes;
import org.qemu.helpers.tpmstub.engine.TpmState;

/**
 * The TPM as the bus reads it (PcrRead, the properties) without waiting for the TPM: its status
 * and PCR values as of the last completed command or control operation. TpmDevice publishes a new
 * view, under its lock, after each operation that changed the state and before that operation's
 * answer leaves, so a reader sees every acknowledged change and never a half-done one; a read
 * that overlaps a command still running is ordered before that command, as if it had reached the
 * TPM first. Immutable: the arrays are never written after construction.
 */
public final class DeviceView {
    private final TpmDevice.Status status;
    /** [bank ordinal][pcr index] -> value; a bank not allocated has an empty row. */
    private final byte[][][] pcrs;

    private DeviceView(TpmDevice.Status status, byte[][][] pcrs) {
        this.status = status;
        this.pcrs = pcrs;
    }

    /**
     * The view of {@code state} with {@code status}: the PCR arrays of {@code previous} are reused
     * where the values did not change (a PCR_Extend copies one PCR, not all of them).
     */
    static DeviceView of(TpmDevice.Status status, TpmState state, DeviceView previous) {
        byte[][][] pcrs = new byte[HashAlg.values().length][][];
        java.util.Set<HashAlg> allocated = state.allocated();
        for (HashAlg bank : HashAlg.values()) {
            byte[][] before = previous == null ? null : previous.pcrs[bank.ordinal()];
            boolean reusable = before != null && before.length == PcrAttributes.COUNT;
            byte[][] row = null; // a copy of before, made at the first PCR that changed
            if (allocated.contains(bank)) {
                for (int i = 0; i < PcrAttributes.COUNT; i++) {
                    if (reusable && state.pcrEquals(bank, i, before[i])) {
                        continue;
                    }
                    if (row == null) {
                        row = reusable ? before.clone() : new byte[PcrAttributes.COUNT][];
                    }
                    row[i] = state.pcr(bank, i);
                }
                pcrs[bank.ordinal()] = row != null ? row : before;
            } else {
                pcrs[bank.ordinal()] = new byte[0][];
            }
        }
        return new DeviceView(status, pcrs);
    }

    public TpmDevice.Status status() {
        return status;
    }

    /** A copy of one PCR value, empty if the bank is not allocated. */
    public byte[] pcr(HashAlg bank, int index) {
        byte[][] row = pcrs[bank.ordinal()];
        return row.length == 0 ? new byte[0] : row[index].clone();
    }
}
