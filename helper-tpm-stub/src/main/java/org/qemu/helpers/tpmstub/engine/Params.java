package org.qemu.helpers.tpmstub.engine;

import java.util.ArrayList;
import java.util.List;

/** Parameter unmarshalling shared by the command groups (Part 2 types; Part 1 18.8 error numbering). */
final class Params {
    private Params() { }

    static final int MAX_DIGEST = 64;

    interface Param<T> {
        T read(TpmReader r) throws TpmFormatException;
    }

    /** Reads parameter {@code n} (1-based); a format-one error carries its number (Part 2 6.6.3). */
    static <T> T param(TpmReader r, int n, Param<T> p) throws TpmFormatException {
        try {
            return p.read(r);
        } catch (TpmFormatException e) {
            throw new TpmFormatException(TpmRc.withParameter(e.rc(), n));
        }
    }

    /** Part 4 ExecCommand.c: bytes left over after the last parameter are TPM_RC_SIZE. */
    static void noMoreParams(TpmReader r) throws TpmFormatException {
        if (r.remaining() != 0) {
            throw new TpmFormatException(TpmRc.SIZE);
        }
    }

    static HashAlg hashAlg(TpmReader r) throws TpmFormatException {
        return HashAlg.byId(r.u16()).orElseThrow(() -> new TpmFormatException(TpmRc.HASH));
    }

    /** A TPMS_PCR_SELECTION: bank and 3-byte bitmap. */
    record PcrSelection(int algId, HashAlg alg, byte[] select) { }

    /** A TPMT_HA. */
    record Digest(HashAlg alg, byte[] digest) { }

    /** TPML_PCR_SELECTION. */
    static List<PcrSelection> pcrSelectionList(TpmReader r) throws TpmFormatException {
        long count = r.u32();
        if (count > HashAlg.values().length) {
            throw new TpmFormatException(TpmRc.SIZE);
        }
        List<PcrSelection> out = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            HashAlg alg = hashAlg(r);
            int sizeofSelect = r.u8();
            if (sizeofSelect != 3) { // PCR_SELECT_MIN == PCR_SELECT_MAX == 3
                throw new TpmFormatException(TpmRc.VALUE);
            }
            out.add(new PcrSelection(alg.algId(), alg, r.bytes(3)));
        }
        return out;
    }

    /** TPML_DIGEST_VALUES. */
    static List<Digest> digestValues(TpmReader r) throws TpmFormatException {
        long count = r.u32();
        if (count > HashAlg.values().length) {
            throw new TpmFormatException(TpmRc.SIZE);
        }
        List<Digest> out = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            HashAlg alg = hashAlg(r);
            out.add(new Digest(alg, r.bytes(alg.digestSize())));
        }
        return out;
    }

    static byte[] u32Bytes(long v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }
}
