package org.qemu.helpers.tpmstub.engine;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The TPM 2.0 commands this engine implements (Part 2 6.5 TPM_CC), with their TPMA_CC
 * attributes as reported by TPM_CAP_COMMANDS (Part 2 8.9), handle count and how many of
 * those handles need authorisation (Part 3: "Auth Index").
 */
public enum CommandCode {
    HIERARCHY_CHANGE_AUTH(0x129, 0x02400129, 1, 1, true),
    SELF_TEST(0x143, 0x00400143, 0, 0, true),
    STARTUP(0x144, 0x00400144, 0, 0, false),
    SHUTDOWN(0x145, 0x00400145, 0, 0, true),
    STIR_RANDOM(0x146, 0x00400146, 0, 0, true),
    PCR_EVENT(0x13C, 0x0240013C, 1, 1, true),
    PCR_RESET(0x13D, 0x0240013D, 1, 1, true),
    GET_CAPABILITY(0x17A, 0x0000017A, 0, 0, true),
    GET_RANDOM(0x17B, 0x0000017B, 0, 0, true),
    PCR_READ(0x17E, 0x0000017E, 0, 0, true),
    READ_CLOCK(0x181, 0x00000181, 0, 0, true),
    PCR_EXTEND(0x182, 0x02400182, 1, 1, true),
    FLUSH_CONTEXT(0x165, 0x00000165, 0, 0, false),
    START_AUTH_SESSION(0x176, 0x14000176, 2, 0, true),
    HASH(0x17D, 0x0000017D, 0, 0, true),
    HASH_SEQUENCE_START(0x186, 0x10000186, 0, 0, true),
    SEQUENCE_UPDATE(0x15C, 0x0200015C, 1, 1, true),
    SEQUENCE_COMPLETE(0x13E, 0x0300013E, 1, 1, true),
    EVENT_SEQUENCE_COMPLETE(0x185, 0x05400185, 2, 2, true),
    NV_DEFINE_SPACE(0x12A, 0x0240012A, 1, 1, true),
    NV_UNDEFINE_SPACE(0x122, 0x04400122, 2, 1, true),
    NV_READ_PUBLIC(0x169, 0x02000169, 1, 0, true),
    NV_WRITE(0x137, 0x04400137, 2, 1, true),
    NV_INCREMENT(0x134, 0x04400134, 2, 1, true),
    NV_EXTEND(0x136, 0x04400136, 2, 1, true),
    NV_READ(0x14E, 0x0400014E, 2, 1, true),
    CREATE_PRIMARY(0x131, 0x12000131, 1, 1, true),
    CREATE(0x153, 0x02000153, 1, 1, true),
    LOAD(0x157, 0x12000157, 1, 1, true),
    READ_PUBLIC(0x173, 0x02000173, 1, 0, true),
    UNSEAL(0x15E, 0x0200015E, 1, 1, true),
    CONTEXT_SAVE(0x162, 0x02000162, 1, 0, false),
    CONTEXT_LOAD(0x161, 0x10000161, 0, 0, false),
    EVICT_CONTROL(0x120, 0x04400120, 2, 1, true),
    QUOTE(0x158, 0x02000158, 1, 1, true),
    POLICY_PCR(0x17F, 0x0200017F, 1, 0, true),
    POLICY_RESTART(0x180, 0x02000180, 1, 0, true),
    POLICY_GET_DIGEST(0x189, 0x02000189, 1, 0, true),
    POLICY_AUTH_VALUE(0x16B, 0x0200016B, 1, 0, true),
    POLICY_PASSWORD(0x18C, 0x0200018C, 1, 0, true),
    POLICY_COMMAND_CODE(0x16C, 0x0200016C, 1, 0, true),
    POLICY_SECRET(0x151, 0x04000151, 2, 1, true),
    ACTIVATE_CREDENTIAL(0x147, 0x04000147, 2, 2, true),
    MAKE_CREDENTIAL(0x168, 0x02000168, 1, 0, true),
    CREATE_LOADED(0x191, 0x12000191, 1, 1, true),
    SIGN(0x15D, 0x0200015D, 1, 1, true),
    POLICY_OR(0x171, 0x02000171, 1, 0, true),
    CLEAR(0x126, 0x02C00126, 1, 1, true),
    RSA_ENCRYPT(0x174, 0x02000174, 1, 0, true),
    RSA_DECRYPT(0x159, 0x02000159, 1, 1, true),
    LOAD_EXTERNAL(0x167, 0x10000167, 0, 0, true),
    VERIFY_SIGNATURE(0x177, 0x02000177, 1, 0, true),
    OBJECT_CHANGE_AUTH(0x150, 0x04000150, 2, 1, true),
    CERTIFY(0x148, 0x04000148, 2, 2, true),
    CLEAR_CONTROL(0x127, 0x02400127, 1, 1, true);

    private final int code;
    private final int attributes;
    private final int handles;
    private final int authHandles;
    private final boolean sessionsAllowed;

    CommandCode(int code, int attributes, int handles, int authHandles, boolean sessionsAllowed) {
        this.code = code;
        this.attributes = attributes;
        this.handles = handles;
        this.authHandles = authHandles;
        this.sessionsAllowed = sessionsAllowed;
    }

    public int code() {
        return code;
    }

    public int attributes() {
        return attributes;
    }

    public int handles() {
        return handles;
    }

    public int authHandles() {
        return authHandles;
    }

    public boolean sessionsAllowed() {
        return sessionsAllowed;
    }

    /** All implemented commands in ascending command-code order (the TPM_CAP_COMMANDS order). */
    public static final List<CommandCode> SORTED = Arrays.stream(values())
            .sorted(Comparator.comparingInt(CommandCode::code)).toList();

    /**
     * The commands indexed by code - TPM_CC_FIRST (0x11F, Part 2 6.5.2): a lookup per command without
     * allocating (values() copies its array on every call, half a KiB per command).
     */
    private static final int CC_FIRST = 0x11F;
    private static final CommandCode[] BY_CODE = byCodeTable();

    private static CommandCode[] byCodeTable() {
        int max = Arrays.stream(values()).mapToInt(CommandCode::code).max().orElse(CC_FIRST);
        CommandCode[] t = new CommandCode[max - CC_FIRST + 1];
        for (CommandCode c : values()) {
            t[c.code - CC_FIRST] = c;
        }
        return t;
    }

    /** The implemented command with this code, or null. */
    public static CommandCode byCode(long code) {
        long i = code - CC_FIRST;
        return i >= 0 && i < BY_CODE.length ? BY_CODE[(int) i] : null;
    }
}
