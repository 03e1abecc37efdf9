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

    TpmObject get(byte[] seed, ObjectCreation.Request q, long hierarchy) {
        return cache.get(key(seed, q, hierarchy));
    }

    void put(byte[] seed, ObjectCreation.Request q, TpmObject o) {
        cache.put(key(seed, q, o.hierarchy), o);
    }
}
