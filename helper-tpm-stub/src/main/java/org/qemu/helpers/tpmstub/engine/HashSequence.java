package org.qemu.helpers.tpmstub.engine;

import java.security.MessageDigest;

/**
 * A hash or event sequence object (Part 3 17.3, Part 4 Object.c AllocateSequenceSlot): no public
 * area, an empty Name, DA-exempt, its authValue given at HashSequenceStart. An event sequence hashes
 * with every implemented algorithm at once.
 */
final class HashSequence implements LoadedObject {
    /** null for an event sequence. */
    final HashAlg alg;
    /** One running digest per algorithm: {@link #alg}'s alone, or every HashAlg in order. */
    final MessageDigest[] digests;
    private final byte[] auth;
    /** Part 4 SequenceUpdate.c: whether the first block was seen and could not be TPM_GENERATED_VALUE. */
    boolean firstBlockSeen;
    boolean ticketSafe;

    private HashSequence(HashAlg alg, MessageDigest[] digests, byte[] auth) {
        this.alg = alg;
        this.digests = digests;
        this.auth = auth;
    }

    static HashSequence hash(HashAlg alg, byte[] auth) {
        return new HashSequence(alg, new MessageDigest[] {alg.newDigest()}, auth);
    }

    static HashSequence event(byte[] auth) {
        HashAlg[] all = HashAlg.values();
        MessageDigest[] d = new MessageDigest[all.length];
        for (int i = 0; i < all.length; i++) {
            d[i] = all[i].newDigest();
        }
        return new HashSequence(null, d, auth);
    }

    boolean isEvent() {
        return alg == null;
    }

    void update(byte[] data) {
        for (MessageDigest d : digests) {
            d.update(data);
        }
    }

    @Override
    public byte[] authValue() {
        return auth;
    }

    @Override
    public byte[] name() {
        return new byte[0];
    }
}
