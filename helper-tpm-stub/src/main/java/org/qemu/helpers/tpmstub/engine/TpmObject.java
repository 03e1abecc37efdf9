package org.qemu.helpers.tpmstub.engine;

import java.security.PrivateKey;

/**
 * A key or sealed data object: public and sensitive area, the hierarchy it belongs to
 * and its Name. Loaded in a transient slot or kept in NV as a persistent object (EvictControl).
 */
final class TpmObject implements LoadedObject {
    final PublicArea pub;
    final SensitiveArea sensitive;
    /** TPM_RH_OWNER, TPM_RH_ENDORSEMENT, TPM_RH_PLATFORM or TPM_RH_NULL. */
    final long hierarchy;
    private final byte[] name;
    private PrivateKey privateKey;
    /**
     * The Name of the storage key it was loaded under (Load, CreateLoaded), kept in its saved
     * contexts; null where unknown (primaries, LoadExternal, persistent objects). ObjectChangeAuth
     * checks it where libtpms compares qualified names.
     */
    byte[] parentName;

    TpmObject(PublicArea pub, SensitiveArea sensitive, long hierarchy) {
        this.pub = pub;
        this.sensitive = sensitive;
        this.hierarchy = hierarchy;
        this.name = pub.name();
    }

    @Override
    public byte[] authValue() {
        return sensitive == null ? new byte[0] : sensitive.authValue();
    }

    /** Loaded by LoadExternal without a sensitive area (Part 3 12.3): it can verify and encrypt only. */
    boolean publicOnly() {
        return sensitive == null;
    }

    @Override
    public byte[] name() {
        return name.clone();
    }

    /** The JDK private key of an RSA or ECC object, made once. */
    PrivateKey privateKey() {
        if (privateKey == null) {
            privateKey = pub.type() == PublicArea.ALG_RSA ? Keys.rsaPrivate(pub.uniqueX(), sensitive.secret())
                    : Keys.eccPrivate(sensitive.secret());
        }
        return privateKey;
    }

    /**
     * True if the sensitive area belongs to the public area (Part 4 Object.c ObjectLoad, "binding"):
     * same type, the private key matches the public key (RSA: p divides n; ECC: d*G is the point;
     * KEYEDHASH: unique = H(seedValue || data)), sizes that the public area allows.
     */
    static boolean bound(PublicArea pub, SensitiveArea s) {
        int digest = pub.nameAlg().digestSize();
        if (s.type() != pub.type() || s.authValue().length > digest) {
            return false;
        }
        return switch (pub.type()) {
            case PublicArea.ALG_RSA -> s.secret().length == PublicArea.RSA_BITS / 16
                    && pub.uniqueX().length == PublicArea.RSA_BITS / 8
                    && (!pub.isStorageParent() || s.seedValue().length == digest)
                    && Keys.rsaMatches(pub.uniqueX(), s.secret());
            case PublicArea.ALG_ECC -> s.secret().length == PublicArea.ECC_BYTES
                    && pub.uniqueX().length == PublicArea.ECC_BYTES && pub.uniqueY().length == PublicArea.ECC_BYTES
                    && (!pub.isStorageParent() || s.seedValue().length == digest)
                    && Keys.eccMatches(pub.uniqueX(), pub.uniqueY(), s.secret());
            default -> s.seedValue().length == digest
                    && java.security.MessageDigest.isEqual(pub.uniqueX(), Crypto.hash(pub.nameAlg(), s.seedValue(), s.secret()));
        };
    }

    /** The persistent-object record of the permanent state: hierarchy, TPM2B_PUBLIC, TPM2B(TPMT_SENSITIVE). */
    void writeTo(TpmWriter w) {
        w.u32(hierarchy);
        pub.writeTo(w);
        w.tpm2b(sensitive.marshal());
    }

    static TpmObject read(TpmReader r) throws TpmFormatException {
        long hierarchy = r.u32();
        if (hierarchy != TpmEngine.RH_OWNER && hierarchy != TpmEngine.RH_ENDORSEMENT
                && hierarchy != TpmEngine.RH_PLATFORM && hierarchy != TpmEngine.RH_NULL) {
            throw new TpmFormatException(TpmRc.HIERARCHY);
        }
        PublicArea pub = PublicArea.read2b(r);
        int size = r.u16();
        int outer = r.pushLimit(size);
        SensitiveArea s = SensitiveArea.read(r);
        if (r.remaining() != 0) {
            throw new TpmFormatException(TpmRc.SIZE);
        }
        r.restoreLimit(outer);
        if (!bound(pub, s)) {
            throw new TpmFormatException(TpmRc.BINDING);
        }
        return new TpmObject(pub, s, hierarchy);
    }

    /** Bytes this object takes in the permanent state (counted against the NV space). */
    int encodedSize() {
        TpmWriter w = new TpmWriter(600);
        writeTo(w);
        return w.length();
    }
}
