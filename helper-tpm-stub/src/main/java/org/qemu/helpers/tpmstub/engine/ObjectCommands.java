package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.util.Set;

/**
 * Part 3 chapter 12 (Object Commands): Create, Load, LoadExternal, ReadPublic, ActivateCredential,
 * MakeCredential, Unseal, ObjectChangeAuth, CreateLoaded.
 */
final class ObjectCommands implements ObjectHandleGroup {
    private final EngineCore core;
    private final PcrCommands pcrs;

    ObjectCommands(EngineCore core, PcrCommands pcrs) {
        this.core = core;
        this.pcrs = pcrs;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.CREATE, CommandCode.LOAD, CommandCode.READ_PUBLIC, CommandCode.UNSEAL,
                CommandCode.ACTIVATE_CREDENTIAL, CommandCode.MAKE_CREDENTIAL, CommandCode.CREATE_LOADED,
                CommandCode.LOAD_EXTERNAL, CommandCode.OBJECT_CHANGE_AUTH);
    }

    @Override
    public long handle(CommandCode cc, int index, long h) throws TpmFormatException {
        if (cc == CommandCode.CREATE_LOADED && isHierarchy(h)) {
            return h; // TPMI_DH_PARENT+: a hierarchy makes a primary object
        }
        return ObjectHandleGroup.super.handle(cc, index, h);
    }

    @Override
    public void checkLoaded(CommandCode cc, int index, long h) throws TpmFormatException {
        if (!(cc == CommandCode.CREATE_LOADED && isHierarchy(h))) {
            ObjectHandleGroup.super.checkLoaded(cc, index, h);
        }
    }

    private static boolean isHierarchy(long h) {
        return h == TpmEngine.RH_OWNER || h == TpmEngine.RH_ENDORSEMENT || h == TpmEngine.RH_PLATFORM
                || h == TpmEngine.RH_NULL;
    }

    @Override
    public EngineCore core() {
        return core;
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
        switch (c.cc()) {
            case CREATE -> {
                TpmObject parent = storageParent(c.handle(0));
                ObjectCreation.Request q = ObjectCreation.read(r);
                create(parent, q, c.locality(), c.out());
            }
            case LOAD -> {
                TpmObject parent = storageParent(c.handle(0));
                byte[] priv = param(r, 1, rd -> rd.tpm2b(ProtectedStorage.MAX_PRIVATE));
                PublicArea pub = param(r, 2, PublicArea::read2b);
                noMoreParams(r);
                load(parent, priv, pub, c.out());
            }
            case LOAD_EXTERNAL -> {
                SensitiveArea s = param(r, 1, ObjectCommands::sensitive2b);
                PublicArea pub = param(r, 2, PublicArea::read2b);
                long hierarchy = param(r, 3, rd -> {
                    long h = rd.u32();
                    if (!isHierarchy(h)) {
                        throw new TpmFormatException(TpmRc.VALUE); // TPMI_RH_HIERARCHY+
                    }
                    return h;
                });
                noMoreParams(r);
                loadExternal(s, pub, hierarchy, c.out());
            }
            case OBJECT_CHANGE_AUTH -> {
                byte[] newAuth = param(r, 1, rd -> rd.tpm2b(Params.MAX_DIGEST));
                noMoreParams(r);
                objectChangeAuth(core.object(c.handle(0), 1), core.object(c.handle(1), 2),
                        Authorisation.stripTrailingZeros(newAuth), c.out());
            }
            case READ_PUBLIC -> {
                noMoreParams(r);
                TpmObject o = core.object(c.handle(0), 1);
                byte[] name = o.name();
                o.pub.writeTo(c.out());
                // the qualified name is not tracked here: the Name stands in for it
                c.out().tpm2b(name).tpm2b(name);
            }
            case UNSEAL -> {
                noMoreParams(r);
                TpmObject o = core.object(c.handle(0), 1);
                // Part 3 12.7: only a sealed data object (KEYEDHASH, neither sign nor decrypt, not restricted)
                if (!o.pub.isSealedData() || o.pub.has(PublicArea.RESTRICTED)) {
                    throw new TpmFormatException(TpmRc.withHandle(TpmRc.TYPE, 1));
                }
                c.out().tpm2b(o.sensitive.secret());
            }
            case CREATE_LOADED -> createLoaded(c.handle(0), ObjectCreation.readLoaded(r), c.out());
            case ACTIVATE_CREDENTIAL -> {
                byte[] credentialBlob = param(r, 1, rd -> rd.tpm2b(MAX_ID_OBJECT));
                byte[] secret = param(r, 2, rd -> rd.tpm2b(MAX_ENCRYPTED_SECRET));
                noMoreParams(r);
                TpmObject activate = core.object(c.handle(0), 1);
                TpmObject key = storageParent(c.handle(1), 2);
                activateCredential(activate, key, credentialBlob, secret, c.out());
            }
            case MAKE_CREDENTIAL -> {
                byte[] credential = param(r, 1, rd -> rd.tpm2b(Params.MAX_DIGEST));
                byte[] objectName = param(r, 2, rd -> rd.tpm2b(MAX_NAME));
                noMoreParams(r);
                makeCredential(core.object(c.handle(0), 1), credential, objectName, c.out());
            }
            default -> throw new IllegalStateException("unhandled " + c.cc());
        }
    }

    /** TPM2B_ID_OBJECT: integrity digest and an encrypted TPM2B_DIGEST. */
    static final int MAX_ID_OBJECT = 2 + Params.MAX_DIGEST + 2 + Params.MAX_DIGEST;
    /** TPM2B_ENCRYPTED_SECRET: an RSA-2048 ciphertext or a P-256 point. */
    static final int MAX_ENCRYPTED_SECRET = 256;
    /** TPM2B_NAME: sizeof(TPMU_NAME), a TPMT_HA. */
    static final int MAX_NAME = 2 + Params.MAX_DIGEST;
    /** The label of a credential's seed (Part 1 24.4). */
    private static final String IDENTITY = "IDENTITY";

    /**
     * Part 3 12.6 TPM2_MakeCredential (no authorisation: it uses only the public part, so an EK
     * loaded with LoadExternal will do): a seed is shared with the key (RSA: OAEP "IDENTITY"; ECC:
     * ECDH + KDFe "IDENTITY"; {@link SecretSharing#share}) and the credential is wrapped for
     * {@code objectName} under it (Part 1 24.4: KDFa "STORAGE" and "INTEGRITY"), exactly as
     * {@link #activateCredential} opens it. The key must be a restricted decryption key (TPM_RC_TYPE
     * for the handle; here also one with AES, which every such key loadable here has, and libtpms
     * refuses others when they are loaded), the credential at most the key's nameAlg digest size
     * (TPM_RC_SIZE, parameter 1).
     */
    private void makeCredential(TpmObject key, byte[] credential, byte[] objectName, TpmWriter out)
            throws TpmFormatException {
        if (!key.pub.isStorageParent()) {
            throw new TpmFormatException(TpmRc.withHandle(TpmRc.TYPE, 1));
        }
        if (credential.length > key.pub.nameAlg().digestSize()) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SIZE, 1));
        }
        SecretSharing.Shared shared = SecretSharing.share(key.pub, IDENTITY, core.random);
        byte[] plain = new TpmWriter(2 + credential.length).tpm2b(credential).toByteArray();
        out.tpm2b(ProtectedStorage.seal(ProtectedStorage.Protector.ofCredential(key.pub, shared.seed()), objectName,
                plain));
        out.tpm2b(shared.secret());
    }

    /**
     * Part 3 12.5 TPM2_ActivateCredential: the seed is recovered with the key (RSA: OAEP with label
     * "IDENTITY", Part 1 B.10.3; ECC: KDFe(nameAlg, ECDH Z, "IDENTITY", ephemeral x, key x), Part 1
     * C.6.1), then the credential is opened for the Name of the object to activate (Part 1 24
     * "Credential Protection"); the recovery's error for parameter 2 when the seed cannot be recovered
     * (an RSA ciphertext that does not decrypt: TPM_RC_FAILURE, which has no parameter number, as
     * libtpms), TPM_RC_INTEGRITY when the blob is not for this Name or key (parameter 1).
     */
    private void activateCredential(TpmObject activate, TpmObject key, byte[] blob, byte[] secret, TpmWriter out)
            throws TpmFormatException {
        byte[] seed;
        try {
            seed = SecretSharing.recover(key, IDENTITY, secret);
        } catch (TpmFormatException e) {
            throw new TpmFormatException(TpmRc.withParameter(e.rc(), 2));
        }
        byte[] plain = ProtectedStorage.open(ProtectedStorage.Protector.ofCredential(key.pub, seed), activate.name(),
                blob);
        TpmReader p = new TpmReader(plain, 0, plain.length);
        byte[] credential;
        try {
            credential = p.tpm2b(Params.MAX_DIGEST);
            if (p.remaining() != 0) {
                throw new TpmFormatException(TpmRc.SIZE);
            }
        } catch (TpmFormatException e) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.INTEGRITY, 1));
        }
        out.tpm2b(credential);
    }

    /** The parent of Create and Load must be a storage key (Part 3 12.1: else TPM_RC_TYPE for the handle). */
    private TpmObject storageParent(long handle) throws TpmFormatException {
        return storageParent(handle, 1);
    }

    /** A restricted decryption key at handle number {@code n}, else TPM_RC_TYPE for it. */
    private TpmObject storageParent(long handle, int n) throws TpmFormatException {
        TpmObject p = core.object(handle, n);
        if (!p.pub.isStorageParent()) {
            throw new TpmFormatException(TpmRc.withHandle(TpmRc.TYPE, n));
        }
        return p;
    }

    /** Part 3 12.1 TPM2_Create: a new object under {@code parent}, returned wrapped (not loaded). */
    private void create(TpmObject parent, ObjectCreation.Request q, int locality, TpmWriter out)
            throws TpmFormatException {
        ObjectCreation.check(q, parent.pub.has(PublicArea.FIXED_TPM));
        TpmObject o = ObjectCreation.make(q, parent.hierarchy, core.random::fill);
        out.tpm2b(ProtectedStorage.wrap(parent, o.name(), o.sensitive));
        o.pub.writeTo(out);
        byte[] parentName = parent.name();
        ObjectCreation.writeCreation(core, pcrs, o, q, parent.pub.nameAlg().algId(), parentName, parentName,
                locality, out);
    }

    /**
     * Part 3 12.9 TPM2_CreateLoaded: Create and Load in one (under a storage key), or under a
     * hierarchy a primary object as CreatePrimary makes it (outPrivate empty).
     */
    private void createLoaded(long parentHandle, ObjectCreation.Request q, TpmWriter out) throws TpmFormatException {
        if (core.objects.size() >= ObjectSlots.MAX_LOADED_OBJECTS) {
            throw new TpmFormatException(TpmRc.OBJECT_MEMORY); // before the key generation
        }
        TpmObject o;
        byte[] priv;
        if (isHierarchy(parentHandle)) {
            ObjectCreation.check(q, true);
            o = core.primaries.primary(core.seed(parentHandle), q, parentHandle);
            priv = new byte[0];
        } else {
            TpmObject parent = storageParent(parentHandle);
            ObjectCreation.check(q, parent.pub.has(PublicArea.FIXED_TPM));
            o = ObjectCreation.make(q, parent.hierarchy, core.random::fill);
            priv = ProtectedStorage.wrap(parent, o.name(), o.sensitive);
            o.parentName = parent.name();
        }
        core.responseHandle = core.objects.add(o);
        out.tpm2b(priv);
        o.pub.writeTo(out);
        out.tpm2b(o.name());
    }

    /**
     * Part 3 12.8 TPM2_ObjectChangeAuth: the object's sensitive area with the new authValue (at most
     * the nameAlg's digest size once trailing zeros are gone: TPM_RC_SIZE), wrapped for its parent
     * (which must be the storage key it was loaded under: TPM_RC_TYPE for handle 2). The loaded object
     * keeps its old authValue; the new private area is for TPM2_Load.
     */
    private void objectChangeAuth(TpmObject o, TpmObject parent, byte[] newAuth, TpmWriter out)
            throws TpmFormatException {
        if (newAuth.length > o.pub.nameAlg().digestSize()) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SIZE, 1));
        }
        if (o.parentName == null || !java.security.MessageDigest.isEqual(o.parentName, parent.name())
                || !parent.pub.isStorageParent() || parent.publicOnly()) {
            throw new TpmFormatException(TpmRc.withHandle(TpmRc.TYPE, 2));
        }
        SensitiveArea s = o.sensitive;
        out.tpm2b(ProtectedStorage.wrap(parent, o.name(),
                new SensitiveArea(s.type(), newAuth, s.seedValue(), s.secret())));
    }

    /** TPM2B_SENSITIVE: empty (a public-only load), or a TPMT_SENSITIVE that fills it exactly. */
    private static SensitiveArea sensitive2b(TpmReader r) throws TpmFormatException {
        int size = r.u16();
        if (size == 0) {
            return null;
        }
        int outer = r.pushLimit(size);
        SensitiveArea s = SensitiveArea.read(r);
        if (r.remaining() != 0) {
            throw new TpmFormatException(TpmRc.SIZE);
        }
        r.restoreLimit(outer);
        return s;
    }

    /**
     * Part 3 12.3 TPM2_LoadExternal (libtpms's order of checks): a public area alone (any hierarchy;
     * the object can then verify signatures and encrypt, nothing that needs its authorisation), or with
     * its sensitive area (NULL hierarchy only, and neither fixedTPM, fixedParent nor restricted: it
     * must not pass for a key of this TPM). The key must be whole (RSA-2048 modulus, a P-256 point on
     * the curve; TPM_RC_KEY / TPM_RC_ECC_POINT) and the sensitive area its own (TPM_RC_BINDING).
     */
    private void loadExternal(SensitiveArea s, PublicArea pub, long hierarchy, TpmWriter out)
            throws TpmFormatException {
        if (core.objects.size() >= ObjectSlots.MAX_LOADED_OBJECTS) {
            throw new TpmFormatException(TpmRc.OBJECT_MEMORY);
        }
        if (s != null) {
            if (hierarchy != TpmEngine.RH_NULL) {
                throw new TpmFormatException(TpmRc.withParameter(TpmRc.HIERARCHY, 3));
            }
            if (pub.has(PublicArea.FIXED_TPM) || pub.has(PublicArea.FIXED_PARENT) || pub.has(PublicArea.RESTRICTED)) {
                throw new TpmFormatException(TpmRc.withParameter(TpmRc.ATTRIBUTES, 2));
            }
        }
        if (pub.authPolicy().length != 0 && pub.authPolicy().length != pub.nameAlg().digestSize()) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SIZE, 2));
        }
        if (pub.type() == PublicArea.ALG_RSA && pub.uniqueX().length != PublicArea.RSA_BITS / 8
                || pub.type() == PublicArea.ALG_ECC && (pub.uniqueX().length != PublicArea.ECC_BYTES
                        || pub.uniqueY().length != PublicArea.ECC_BYTES)) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.KEY, 2));
        }
        if (pub.type() == PublicArea.ALG_ECC && Keys.eccPublicKey(pub.uniqueX(), pub.uniqueY()) == null) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.ECC_POINT, 2));
        }
        if (s != null && s.type() != pub.type()) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.TYPE, 1));
        }
        if (s != null && !TpmObject.bound(pub, s)) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.BINDING, 2));
        }
        TpmObject o = new TpmObject(pub, s, hierarchy);
        core.responseHandle = core.objects.add(o);
        out.tpm2b(o.name());
    }

    /** Part 3 12.2 TPM2_Load: the wrapped sensitive area is checked and bound to the public area. */
    private void load(TpmObject parent, byte[] priv, PublicArea pub, TpmWriter out) throws TpmFormatException {
        if (pub.has(PublicArea.FIXED_TPM) != pub.has(PublicArea.FIXED_PARENT) && pub.has(PublicArea.FIXED_TPM)
                || (pub.has(PublicArea.FIXED_TPM) && !parent.pub.has(PublicArea.FIXED_TPM))) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.ATTRIBUTES, 2));
        }
        if (pub.authPolicy().length != 0 && pub.authPolicy().length != pub.nameAlg().digestSize()) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SIZE, 2));
        }
        byte[] name = pub.name();
        SensitiveArea s = ProtectedStorage.unwrap(parent, name, priv);
        if (!TpmObject.bound(pub, s)) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.BINDING, 2));
        }
        TpmObject o = new TpmObject(pub, s, parent.hierarchy);
        o.parentName = parent.name();
        core.responseHandle = core.objects.add(o);
        out.tpm2b(name);
    }
}
