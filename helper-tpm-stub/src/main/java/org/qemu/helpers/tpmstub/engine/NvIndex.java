package org.qemu.helpers.tpmstub.engine;

import java.security.MessageDigest;

/**
 * One NV index (Part 1 37; Part 2 13.5 TPMS_NV_PUBLIC): its public area, authValue and data. The
 * data buffer has the index's dataSize; WRITTEN in the attributes says whether it holds anything.
 */
final class NvIndex {
    // TPMA_NV bits (Part 2 13.4)
    static final int PPWRITE = 1;
    static final int OWNERWRITE = 1 << 1;
    static final int AUTHWRITE = 1 << 2;
    static final int POLICYWRITE = 1 << 3;
    static final int POLICY_DELETE = 1 << 10;
    static final int WRITELOCKED = 1 << 11;
    static final int WRITEALL = 1 << 12;
    static final int WRITEDEFINE = 1 << 13;
    static final int GLOBALLOCK = 1 << 15;
    static final int PPREAD = 1 << 16;
    static final int OWNERREAD = 1 << 17;
    static final int AUTHREAD = 1 << 18;
    static final int POLICYREAD = 1 << 19;
    static final int NO_DA = 1 << 25;
    static final int CLEAR_STCLEAR = 1 << 27;
    static final int READLOCKED = 1 << 28;
    static final int WRITTEN = 1 << 29;
    static final int PLATFORMCREATE = 1 << 30;
    // TPM_NT (bits 4-7)
    static final int NT_ORDINARY = 0;
    static final int NT_COUNTER = 1;
    static final int NT_BITS = 2;
    static final int NT_EXTEND = 4;
    static final int NT_PIN_FAIL = 8;
    static final int NT_PIN_PASS = 9;

    final long handle;
    final HashAlg nameAlg;
    int attributes;
    final byte[] authPolicy;
    byte[] auth;
    final byte[] data;

    NvIndex(long handle, HashAlg nameAlg, int attributes, byte[] authPolicy, byte[] auth, byte[] data) {
        this.handle = handle;
        this.nameAlg = nameAlg;
        this.attributes = attributes;
        this.authPolicy = authPolicy;
        this.auth = auth;
        this.data = data;
    }

    static int type(int attributes) {
        return (attributes >>> 4) & 0xF;
    }

    int type() {
        return type(attributes);
    }

    boolean has(int bit) {
        return (attributes & bit) != 0;
    }

    /** TPMS_NV_PUBLIC marshalled (Part 2 13.5). */
    byte[] publicArea() {
        return new TpmWriter(16 + authPolicy.length).u32(handle).u16(nameAlg.algId()).u32(attributes & 0xFFFFFFFFL)
                .tpm2b(authPolicy).u16(data.length).toByteArray();
    }

    /** The Name (Part 1 16): nameAlg || H_nameAlg(TPMS_NV_PUBLIC), with the current attributes. */
    byte[] name() {
        MessageDigest md = nameAlg.digest();
        byte[] h = md.digest(publicArea());
        return new TpmWriter(2 + h.length).u16(nameAlg.algId()).bytes(h).toByteArray();
    }

    NvIndex copy() {
        return new NvIndex(handle, nameAlg, attributes, authPolicy.clone(), auth.clone(), data.clone());
    }
}
