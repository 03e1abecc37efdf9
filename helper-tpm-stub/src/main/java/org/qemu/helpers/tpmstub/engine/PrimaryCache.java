package org.qemu.helpers.tpmstub.engine;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last few primary objects made, by H(seed || Name(template) || userAuth || data). A primary
 * object is a function of exactly these (ObjectCreation.primaryStream), so serving a repeated
 * CreatePrimary from here changes no answer; it spares the RSA prime search (tens to hundreds of ms)
 * that tpm2-tools users repeat whenever they recreate the SRK or EK instead of persisting it.
 */
final class PrimaryCache {
    static final int ENTRIES = 4;

    private final Map<String, TpmObject> cache = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, TpmObject> eldest) {
            return size() > ENTRIES;
        }
    };

    private static String key(byte[] seed, ObjectCreation.Request q, long hierarchy) {
        byte[] h = Crypto.hash(HashAlg.SHA256, seed, Params.u32Bytes(hierarchy), q.template().name(),
                new TpmWriter(4).tpm2b(q.userAuth()).toByteArray(), q.data());
        return java.util.HexFormat.of().formatHex(h);
    }

    /** The primary object of a checked request under {@code hierarchy}'s {@code seed}: cached, or made now. */
    TpmObject primary(byte[] seed, ObjectCreation.Request q, long hierarchy) {
        String k = key(seed, q, hierarchy);
        TpmObject o = cache.get(k);
        if (o == null) {
            o = ObjectCreation.make(q, hierarchy, ObjectCreation.primaryStream(seed, q.template(), q.data()));
            cache.put(k, o);
        }
        return o;
    }
}
