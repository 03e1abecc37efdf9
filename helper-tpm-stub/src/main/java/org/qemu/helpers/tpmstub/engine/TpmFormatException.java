package org.qemu.helpers.tpmstub.engine;

/** A malformed or unacceptable TPM input; carries the TPM_RC the TPM answers with. */
public final class TpmFormatException extends Exception {
    private final int rc;

    public TpmFormatException(int rc) {
        super(String.format("TPM_RC 0x%03x", rc), null, false, false);
        this.rc = rc;
    }

    public int rc() {
        return rc;
    }
}
