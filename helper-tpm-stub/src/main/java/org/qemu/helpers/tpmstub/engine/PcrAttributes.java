package org.qemu.helpers.tpmstub.engine;

/**
 * Per-PCR attributes of the PC Client platform profile, as libtpms implements them
 * (TCG PC Client Platform TPM Profile, table "PCR attributes"; TPM_CAP_PCR_PROPERTIES).
 * Masks have bit n set for locality n.
 */
public final class PcrAttributes {
    private PcrAttributes() { }

    public static final int COUNT = 24;
    /** PCR 0 holds the startup locality in its last byte (H-CRTM PCR). */
    public static final int HCRTM_PCR = 0;

    private static final boolean[] STATE_SAVE = new boolean[COUNT];
    private static final int[] RESET = new int[COUNT];
    private static final int[] EXTEND = new int[COUNT];

    static {
        for (int i = 0; i < 16; i++) {
            STATE_SAVE[i] = true;
            RESET[i] = 0x00;
            EXTEND[i] = 0x1F;
        }
        set(16, 0x0F, 0x1F);
        set(17, 0x10, 0x1C);
        set(18, 0x10, 0x1C);
        set(19, 0x10, 0x0C);
        set(20, 0x14, 0x0E);
        set(21, 0x14, 0x04);
        set(22, 0x14, 0x04);
        set(23, 0x0F, 0x1F);
    }

    private static void set(int pcr, int reset, int extend) {
        RESET[pcr] = reset;
        EXTEND[pcr] = extend;
    }

    /** Saved by Shutdown(STATE) and restored by Startup(STATE). */
    public static boolean stateSaved(int pcr) {
        return STATE_SAVE[pcr];
    }

    public static int resetMask(int pcr) {
        return RESET[pcr];
    }

    public static int extendMask(int pcr) {
        return EXTEND[pcr];
    }

    /** DRTM PCRs (reset locality includes 4) start as all ones. */
    public static boolean startsAllOnes(int pcr) {
        return (RESET[pcr] & 0x10) != 0;
    }

    /** TCB-group PCRs whose changes do not bump the PCR update counter (16, 21, 22, 23). */
    public static boolean noIncrement(int pcr) {
        return pcr == 16 || pcr == 21 || pcr == 22 || pcr == 23;
    }

    public static boolean extendAllowed(int pcr, int locality) {
        return (EXTEND[pcr] & (1 << locality)) != 0;
    }

    /** Reset is never allowed at locality 4 on a TPM with a DRTM PCR. */
    public static boolean resetAllowed(int pcr, int locality) {
        return locality != 4 && (RESET[pcr] & (1 << locality)) != 0;
    }
}
