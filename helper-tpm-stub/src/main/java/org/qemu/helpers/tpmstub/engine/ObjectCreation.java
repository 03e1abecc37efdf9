package org.qemu.helpers.tpmstub.engine;

import java.util.List;

import org.qemu.helpers.tpmstub.engine.Params.PcrSelection;

/**
 * What TPM2_CreatePrimary and TPM2_Create share (Part 3 12.1, 24.1; Part 4 Object_spt.c): the
 * parameters (TPM2B_SENSITIVE_CREATE, TPM2B_PUBLIC, outsideInfo, creationPCR), the template checks,
 * making the object from a byte source, and the creation data, hash and ticket.
 */
final class ObjectCreation {
    private ObjectCreation() { }

    /** TPM_ST_CREATION (Part 2 6.9). */
    static final int ST_CREATION = 0x8021;
    /** Label of the KDFa stream a primary object's key material comes from. */
    static final String PRIMARY_LABEL = "Primary Object Creation";
    /** Bits of that stream: far more than any key here draws (about 300 bytes, more on a rare retry). */
    private static final int PRIMARY_STREAM_BITS = 1 << 20;

    /** The parameters of CreatePrimary and Create, in their order. */
    record Request(byte[] userAuth, byte[] data, PublicArea template, byte[] outsideInfo,
                   List<PcrSelection> creationPcr) { }

    static Request read(TpmReader r) throws TpmFormatException {
        byte[][] sensitive = Params.param(r, 1, ObjectCreation::sensitiveCreate);
        PublicArea template = Params.param(r, 2, PublicArea::read2b);
        byte[] outside = Params.param(r, 3, rd -> rd.tpm2b(Params.MAX_DIGEST));
        List<PcrSelection> pcrs = Params.param(r, 4, Params::pcrSelectionList);
        Params.noMoreParams(r);
        return new Request(Authorisation.stripTrailingZeros(sensitive[0]), sensitive[1], template, outside, pcrs);
    }

    /** The parameters of CreateLoaded (Part 3 12.9): inSensitive and a TPM2B_TEMPLATE holding a TPMT_PUBLIC. */
    static Request readLoaded(TpmReader r) throws TpmFormatException {
        byte[][] sensitive = Params.param(r, 1, ObjectCreation::sensitiveCreate);
        PublicArea template = Params.param(r, 2, PublicArea::read2b);
        Params.noMoreParams(r);
        return new Request(Authorisation.stripTrailingZeros(sensitive[0]), sensitive[1], template, new byte[0],
                List.of());
    }

    /** TPM2B_SENSITIVE_CREATE: userAuth and data. */
    private static byte[][] sensitiveCreate(TpmReader r) throws TpmFormatException {
        int size = r.u16();
        int outer = r.pushLimit(size);
        byte[] auth = r.tpm2b(Params.MAX_DIGEST);
        byte[] data = r.tpm2b(SensitiveArea.MAX_SECRET);
        if (r.remaining() != 0) {
            throw new TpmFormatException(TpmRc.SIZE);
        }
        r.restoreLimit(outer);
        return new byte[][] {auth, data};
    }

    /**
     * Part 4 Object_spt.c PublicAttributesValidation and CreateChecks, in the order the reference
     * applies them; {@code parentFixedTpm} is false for a parent that may be duplicated.
     */
    static void check(Request q, boolean parentFixedTpm) throws TpmFormatException {
        PublicArea t = q.template();
        int digest = t.nameAlg().digestSize();
        if (t.authPolicy().length != 0 && t.authPolicy().length != digest) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SIZE, 2));
        }
        if (t.has(PublicArea.FIXED_TPM) != t.has(PublicArea.FIXED_PARENT) && t.has(PublicArea.FIXED_TPM)) {
            throw attributes();
        }
        if (t.has(PublicArea.FIXED_TPM) && !parentFixedTpm) {
            throw attributes();
        }
        if (t.has(PublicArea.RESTRICTED) && t.has(PublicArea.SIGN) && t.has(PublicArea.DECRYPT)) {
            throw attributes();
        }
        if (t.type() == PublicArea.ALG_KEYEDHASH) {
            if (t.has(PublicArea.DECRYPT) || (t.has(PublicArea.RESTRICTED) && !t.has(PublicArea.SIGN))) {
                throw attributes(); // XOR keys and keyed-hash parents are not offered
            }
            if (!t.has(PublicArea.SIGN) && t.scheme() != PublicArea.ALG_NULL) {
                throw new TpmFormatException(TpmRc.withParameter(TpmRc.SCHEME, 2));
            }
            if (t.has(PublicArea.SENSITIVE_DATA_ORIGIN) == (q.data().length != 0)) {
                // the TPM makes the data (an HMAC key) or the caller gives it (sealed data), not both
                throw attributes();
            }
            if (!t.has(PublicArea.SIGN) && t.has(PublicArea.SENSITIVE_DATA_ORIGIN)) {
                throw attributes();
            }
        } else {
            if (!t.has(PublicArea.SIGN) && !t.has(PublicArea.DECRYPT)) {
                throw attributes();
            }
            boolean storage = t.has(PublicArea.RESTRICTED) && t.has(PublicArea.DECRYPT);
            if (storage != (t.symAlg() != PublicArea.ALG_NULL)) {
                throw new TpmFormatException(TpmRc.withParameter(TpmRc.SYMMETRIC, 2));
            }
            boolean signScheme = t.scheme() == PublicArea.ALG_RSASSA || t.scheme() == PublicArea.ALG_RSAPSS
                    || t.scheme() == PublicArea.ALG_ECDSA;
            boolean nullScheme = t.scheme() == PublicArea.ALG_NULL;
            if ((storage && !nullScheme) || (t.has(PublicArea.SIGN) && t.has(PublicArea.DECRYPT) && !nullScheme)
                    || (t.has(PublicArea.SIGN) && !t.has(PublicArea.DECRYPT) && !nullScheme && !signScheme)
                    || (t.has(PublicArea.DECRYPT) && !t.has(PublicArea.SIGN) && signScheme)
                    || (t.has(PublicArea.RESTRICTED) && t.has(PublicArea.SIGN) && nullScheme)) {
                throw new TpmFormatException(TpmRc.withParameter(TpmRc.SCHEME, 2));
            }
            if (!t.has(PublicArea.SENSITIVE_DATA_ORIGIN)) {
                throw attributes(); // the TPM generates every asymmetric key (no caller-provided keys)
            }
            if (q.data().length != 0) {
                throw new TpmFormatException(TpmRc.withParameter(TpmRc.SIZE, 1));
            }
        }
        if (q.userAuth().length > digest) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SIZE, 1));
        }
    }

    private static TpmFormatException attributes() {
        return new TpmFormatException(TpmRc.withParameter(TpmRc.ATTRIBUTES, 2));
    }

    /**
     * The key stream of a primary object: KDFa(nameAlg, seed, "Primary Object Creation",
     * Name(template), sensitive.data, 2^20 bits) read from its start, so the same seed and the same
     * template (unique field and data included) always give the same object (Part 1, "Primary
     * Objects": a primary key is a function of its seed and template).
     */
    static Keys.ByteSource primaryStream(byte[] seed, PublicArea template, byte[] data) {
        HashAlg alg = template.nameAlg();
        byte[] name = template.name();
        return new Keys.ByteSource() {
            private long counter;
            private byte[] block = new byte[0];
            private int used;

            @Override
            public void fill(byte[] out) {
                for (int i = 0; i < out.length; i++) {
                    if (used == block.length) {
                        counter++;
                        if (counter * alg.digestSize() * 8 > PRIMARY_STREAM_BITS) {
                            throw new IllegalStateException("primary key stream exhausted");
                        }
                        block = Crypto.kdfaBlock(alg, seed, counter, PRIMARY_LABEL, name, data, PRIMARY_STREAM_BITS);
                        used = 0;
                    }
                    out[i] = block[used++];
                }
            }
        };
    }

    /** Makes the object of a checked request: key material and seedValue drawn from {@code src}. */
    static TpmObject make(Request q, long hierarchy, Keys.ByteSource src) {
        PublicArea t = q.template();
        int digest = t.nameAlg().digestSize();
        byte[] seedValue = new byte[0];
        PublicArea pub;
        byte[] secret;
        switch (t.type()) {
            case PublicArea.ALG_RSA -> {
                Keys.RsaKey k = Keys.generateRsa(src);
                pub = t.withUnique(k.modulus(), new byte[0]);
                secret = k.prime();
            }
            case PublicArea.ALG_ECC -> {
                Keys.EccKey k = Keys.generateEcc(src);
                pub = t.withUnique(k.x(), k.y());
                secret = k.d();
            }
            default -> { // KEYEDHASH: sealed data or an HMAC key
                if (t.has(PublicArea.SENSITIVE_DATA_ORIGIN)) {
                    secret = new byte[digest];
                    src.fill(secret);
                } else {
                    secret = q.data();
                }
                seedValue = new byte[digest];
                src.fill(seedValue);
                // Part 2 12.2.3.2 (TPMU_PUBLIC_ID keyedHash): unique = H_nameAlg(seedValue || data)
                pub = t.withUnique(Crypto.hash(t.nameAlg(), seedValue, secret), new byte[0]);
            }
        }
        if (t.isStorageParent()) {
            seedValue = new byte[digest]; // the seed that protects the children (ProtectedStorage)
            src.fill(seedValue);
        }
        return new TpmObject(pub, new SensitiveArea(t.type(), q.userAuth(), seedValue, secret), hierarchy);
    }

    /**
     * The creation outputs (Part 2 15.1 TPMS_CREATION_DATA): creationData, creationHash and
     * creationTicket, HMAC(proof, TPM_ST_CREATION || Name || creationHash) (Part 2 10.7.3), or the NULL
     * ticket in the NULL hierarchy.
     */
    static void writeCreation(EngineCore core, PcrCommands pcrs, TpmObject o, Request q, int parentNameAlg,
                              byte[] parentName, byte[] parentQualifiedName, int locality, TpmWriter out) {
        HashAlg alg = o.pub.nameAlg();
        TpmWriter cd = new TpmWriter(128);
        PcrCommands.writeSelection(cd, q.creationPcr());
        cd.tpm2b(PcrCommands.noneSelected(q.creationPcr()) ? new byte[0] : pcrs.selectionDigest(alg, q.creationPcr()));
        cd.u8(1 << locality).u16(parentNameAlg).tpm2b(parentName).tpm2b(parentQualifiedName).tpm2b(q.outsideInfo());
        byte[] creationData = cd.toByteArray();
        byte[] creationHash = Crypto.hash(alg, creationData);
        out.tpm2b(creationData).tpm2b(creationHash);
        byte[] proof = core.proof(o.hierarchy);
        if (proof == null) {
            out.u16(ST_CREATION).u32(TpmEngine.RH_NULL).u16(0);
        } else {
            byte[] tag = {(byte) (ST_CREATION >>> 8), (byte) ST_CREATION};
            out.u16(ST_CREATION).u32(o.hierarchy).tpm2b(Crypto.hmac(HashAlg.SHA512, proof, tag, o.name(), creationHash));
        }
    }
}
