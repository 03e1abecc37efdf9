package org.qemu.helpers.tpmstub.engine;

/**
 * TPM 2.0 response codes used by this engine (TPM 2.0 Library Part 2, 6.6 TPM_RC).
 * Format-one codes (bit 7 set) carry a handle, session or parameter number; see {@link #withParameter}.
 */
public final class TpmRc {
    private TpmRc() { }

    public static final int SUCCESS = 0x000;
    public static final int BAD_TAG = 0x01E;

    private static final int VER1 = 0x100;
    public static final int INITIALIZE = VER1 + 0x000;
    public static final int FAILURE = VER1 + 0x001;
    public static final int AUTH_TYPE = VER1 + 0x024;
    public static final int AUTH_MISSING = VER1 + 0x025;
    public static final int COMMAND_SIZE = VER1 + 0x042;
    public static final int COMMAND_CODE = VER1 + 0x043;
    public static final int AUTHSIZE = VER1 + 0x044;
    public static final int AUTH_CONTEXT = VER1 + 0x045;
    public static final int AUTH_UNAVAILABLE = VER1 + 0x02F;
    public static final int NV_RANGE = VER1 + 0x046;
    public static final int NV_LOCKED = VER1 + 0x048;
    public static final int NV_AUTHORIZATION = VER1 + 0x049;
    public static final int NV_UNINITIALIZED = VER1 + 0x04A;
    public static final int NV_SPACE = VER1 + 0x04B;
    public static final int NV_DEFINED = VER1 + 0x04C;
    public static final int SEQUENCE = VER1 + 0x003;
    public static final int POLICY = VER1 + 0x026;
    public static final int PCR_CHANGED = VER1 + 0x028;
    public static final int BAD_CONTEXT = VER1 + 0x050;
    public static final int SENSITIVE = VER1 + 0x055;
    public static final int DISABLED = VER1 + 0x020;

    private static final int FMT1 = 0x080;
    public static final int ATTRIBUTES = FMT1 + 0x002;
    public static final int HASH = FMT1 + 0x003;
    public static final int VALUE = FMT1 + 0x004;
    public static final int HANDLE = FMT1 + 0x00B;
    public static final int HIERARCHY = FMT1 + 0x005;
    public static final int TYPE = FMT1 + 0x00A;
    public static final int KDF = FMT1 + 0x00C;
    public static final int RANGE = FMT1 + 0x00D;
    public static final int SCHEME = FMT1 + 0x012;
    public static final int POLICY_FAIL = FMT1 + 0x01D;
    public static final int INTEGRITY = FMT1 + 0x01F;
    public static final int POLICY_CC = FMT1 + 0x024;
    public static final int BINDING = FMT1 + 0x025;
    public static final int CURVE = FMT1 + 0x026;
    public static final int ECC_POINT = FMT1 + 0x027;
    public static final int TAG = FMT1 + 0x017;
    public static final int TICKET = FMT1 + 0x020;
    public static final int SIGNATURE = FMT1 + 0x01B;
    public static final int AUTH_FAIL = FMT1 + 0x00E;
    public static final int NONCE = FMT1 + 0x00F;
    public static final int KEY_SIZE = FMT1 + 0x007;
    public static final int MODE = FMT1 + 0x009;
    public static final int KEY = FMT1 + 0x01C;
    public static final int SIZE = FMT1 + 0x015;
    public static final int SYMMETRIC = FMT1 + 0x016;
    public static final int INSUFFICIENT = FMT1 + 0x01A;
    public static final int RESERVED_BITS = FMT1 + 0x021;
    public static final int BAD_AUTH = FMT1 + 0x022;

    private static final int WARN = 0x900;
    public static final int OBJECT_MEMORY = WARN + 0x002;
    public static final int SESSION_MEMORY = WARN + 0x003;
    public static final int SESSION_HANDLES = WARN + 0x005;
    public static final int LOCALITY = WARN + 0x007;
    public static final int REFERENCE_H0 = WARN + 0x010;
    public static final int REFERENCE_S0 = WARN + 0x018;
    public static final int LOCKOUT = WARN + 0x021;
    public static final int RETRY = WARN + 0x022;

    /** Part 2 6.6.3: parameter number n (1-based) of a format-one code. */
    public static int withParameter(int rc, int n) {
        return isFormatOne(rc) ? rc + 0x040 + (n << 8) : rc;
    }

    /** Part 2 6.6.3: handle number n (1-based) of a format-one code. */
    public static int withHandle(int rc, int n) {
        return isFormatOne(rc) ? rc + (n << 8) : rc;
    }

    /** Part 2 6.6.3: session number n (1-based) of a format-one code. */
    public static int withSession(int rc, int n) {
        return isFormatOne(rc) ? rc + 0x800 + (n << 8) : rc;
    }

    public static boolean isFormatOne(int rc) {
        return (rc & FMT1) != 0 && (rc & 0xF00) == 0;
    }
}
