package org.qemu.helpers.tpmstub.engine;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * The transient object slots (Part 1 15.2; libtpms MAX_LOADED_OBJECTS = 3): handles
 * 0x80000000 + slot, the lowest free slot first, as libtpms's FindEmptyObjectSlot.
 */
final class ObjectSlots {
    static final long TRANSIENT_FIRST = 0x80000000L;
    static final int MAX_LOADED_OBJECTS = 3;

    private final Map<Long, LoadedObject> loaded = new TreeMap<>();

    static boolean isTransient(long h) {
        return (h >>> 24) == 0x80;
    }

    LoadedObject get(long handle) {
        return loaded.get(handle);
    }

    /** Puts {@code o} in the lowest free slot and returns its handle, or TPM_RC_OBJECT_MEMORY. */
    long add(LoadedObject o) throws TpmFormatException {
        for (long h = TRANSIENT_FIRST; h < TRANSIENT_FIRST + MAX_LOADED_OBJECTS; h++) {
            if (!loaded.containsKey(h)) {
                loaded.put(h, o);
                return h;
            }
        }
        throw new TpmFormatException(TpmRc.OBJECT_MEMORY);
    }

    boolean remove(long handle) {
        return loaded.remove(handle) != null;
    }

    /** Loaded handles in ascending order. */
    Collection<Long> handles() {
        return loaded.keySet();
    }

    int size() {
        return loaded.size();
    }

    void clear() {
        loaded.clear();
    }
}
