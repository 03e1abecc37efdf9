package org.qemu.helpers.tpmstub.engine;

/**
 * Static capability tables (TPM2_GetCapability, Part 3 30.2). ALGS and ECC_CURVES mirror what
 * libtpms 0.9 (swtpm's engine) reports so that clients see the same algorithm table; the
 * commands actually implemented are those of {@link CommandCode} (TPM_CAP_COMMANDS).
 */
final class Capabilities {
    private Capabilities() { }

    static final int CAP_ALGS = 0;
    static final int CAP_HANDLES = 1;
    static final int CAP_COMMANDS = 2;
    static final int CAP_PP_COMMANDS = 3;
    static final int CAP_AUDIT_COMMANDS = 4;
    static final int CAP_PCRS = 5;
    static final int CAP_TPM_PROPERTIES = 6;
    static final int CAP_PCR_PROPERTIES = 7;
    static final int CAP_ECC_CURVES = 8;
    static final int CAP_AUTH_POLICIES = 9;
    static final int CAP_ACT = 10;

    /** MAX_CAP_BUFFER 1024 minus TPM_CAP and count: room for this many entries of each kind. */
    static final int MAX_CAP_DATA = 1024 - 4 - 4;
    static final int MAX_CAP_ALGS = MAX_CAP_DATA / 6;
    static final int MAX_CAP_HANDLES = MAX_CAP_DATA / 4;
    static final int MAX_CAP_CC = MAX_CAP_DATA / 4;
    static final int MAX_TPM_PROPERTIES = MAX_CAP_DATA / 8;
    static final int MAX_PCR_PROPERTIES = MAX_CAP_DATA / 8;
    static final int MAX_ECC_CURVES = MAX_CAP_DATA / 2;
    static final int MAX_TAGGED_POLICIES = MAX_CAP_DATA / (4 + 2 + 64);

    /**
     * (TPM_ALG_ID, TPMA_ALGORITHM) pairs, ascending: only the algorithms some command here uses, with
     * libtpms's attributes for them (tests check each entry is in swtpm's list unchanged).
     */
    static final int[][] ALGS = {
        {0x0001, 0x009}, {0x0004, 0x004}, {0x0005, 0x104}, {0x0006, 0x002}, {0x0008, 0x30c},
        {0x000b, 0x004}, {0x000c, 0x004}, {0x000d, 0x004}, {0x0014, 0x101}, {0x0018, 0x101},
        {0x0023, 0x009}, {0x0043, 0x202},
    };

    /** The ECC curves keys can use: NIST P-256. */
    static final int[] ECC_CURVES = {PublicArea.ECC_NIST_P256};

    /** Permanent handles the TPM knows (TPM_RH_OWNER, NULL, RS_PW, LOCKOUT, ENDORSEMENT, PLATFORM, PLATFORM_NV). */
    static final long[] PERMANENT_HANDLES = {
        0x40000001L, 0x40000007L, 0x40000009L, 0x4000000AL, 0x4000000BL, 0x4000000CL, 0x4000000DL,
    };

    /** Handles with an (empty) authorisation policy for TPM_CAP_AUTH_POLICIES. */
    static final long[] POLICY_HANDLES = {0x40000001L, 0x4000000AL, 0x4000000BL, 0x4000000CL};

    static final int PT_FIXED = 0x100;
    static final int PT_VAR = 0x200;
    static final int PT_GROUP = 0x100;

    /** TPM_PT fixed properties (Part 2 6.13), from libtpms 0.9 except the command counts. */
    static final int[][] FIXED = {
        {0x100, 0x322e3000}, {0x101, 0x0}, {0x102, 0xa4}, {0x103, 0x4b}, {0x104, 0x7e5},
        {0x105, 0x49424d00}, {0x106, 0x53572020}, {0x107, 0x2054504d}, {0x108, 0x0}, {0x109, 0x0},
        {0x10a, 0x1}, {0x10b, 0x20191023}, {0x10c, 0x163636}, {0x10d, 0x400}, {0x10e, 0x3},
        {0x10f, 0x7}, {0x110, 0x3}, {0x111, 0x40}, {0x112, 0x18}, {0x113, 0x3}, {0x114, 0xffff},
        {0x116, 0x0}, {0x117, 0x800}, {0x118, 0x6}, {0x119, 0x1000}, {0x11a, 0xd}, {0x11b, 0x6},
        {0x11c, 0x100}, {0x11d, 0xff}, {0x11e, 0x1000}, {0x11f, 0x1000}, {0x120, 0x40},
        {0x121, 0xa84}, {0x122, 0x194}, {0x123, 0x322e3000}, {0x124, 0x0}, {0x125, 0xa4},
        {0x126, 0x4b}, {0x127, 0x7e5}, {0x128, 0x80},
        {0x129, CommandCode.values().length}, {0x12a, CommandCode.values().length},
        {0x12b, 0x0}, {0x12c, 0x400}, {0x12d, 0x0}, {0x12e, 0x400},
    };

    static final int LOCKOUT_RECOVERY_S = 1000;

    /** PCR property tags (TPM_PT_PCR, Part 2 6.14) that TPM_CAP_PCR_PROPERTIES lists. */
    static final int[] PCR_PROPERTY_TAGS = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
        0x11, 0x12, 0x13, 0x14};

    /** 24-bit PCR bitmap for a TPM_PT_PCR tag, derived from {@link PcrAttributes}. */
    static int pcrPropertyMask(int tag) {
        int m = 0;
        for (int pcr = 0; pcr < PcrAttributes.COUNT; pcr++) {
            boolean set;
            if (tag == 0x00) {
                set = PcrAttributes.stateSaved(pcr);
            } else if (tag >= 0x01 && tag <= 0x0a) {
                int loc = (tag - 1) / 2;
                set = (tag % 2 == 1) ? PcrAttributes.extendAllowed(pcr, loc)
                                     : (PcrAttributes.resetMask(pcr) & (1 << loc)) != 0;
            } else if (tag == 0x11) {
                set = PcrAttributes.noIncrement(pcr);
            } else if (tag == 0x12) {
                set = PcrAttributes.startsAllOnes(pcr);
            } else {
                set = pcr >= 20 && pcr <= 22; // POLICY and AUTH groups
            }
            if (set) {
                m |= 1 << pcr;
            }
        }
        return m;
    }
}
