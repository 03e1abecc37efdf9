package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.security.MessageDigest;
import java.util.Set;

/**
 * Part 3 chapter 28 (Context Management): ContextSave, ContextLoad, FlushContext, EvictControl.
 *
 * <p>A saved context (TPMS_CONTEXT, Part 2 14.3) is sequence, savedHandle, hierarchy and
 * contextBlob = integrity || encrypted data (Part 1 30.2-30.4). The integrity is
 * HMAC-SHA-256(proof, resetCount || sequence || savedHandle || hierarchy || encrypted), keyed by the
 * hierarchy's proof (the NULL hierarchy's changes at every TPM Reset), with restartCount added for an
 * stClear object; so a context from another TPM, a changed one, or one from before a TPM Reset
 * is refused (TPM_RC_INTEGRITY). An object's public and sensitive area are encrypted with AES-128-CFB
 * under KDFa(SHA-256, proof, "CONTEXT", sequence, savedHandle). A session's state stays in the TPM
 * (bounded by {@link Authorisation#MAX_ACTIVE_SESSIONS}); its context only names it, and loads once
 * per save (the sequence must be the one the TPM recorded).
 */
final class ContextCommands implements CommandGroup {
    /** Persistent objects (libtpms's TPM_PT_HR_PERSISTENT_MIN); they also count against the NV space. */
    static final int MAX_PERSISTENT = 7;
    /** Largest TPM2B_CONTEXT_DATA accepted by ContextLoad. */
    static final int MAX_CONTEXT_DATA = 2048;
    static final long SAVED_OBJECT = 0x80000000L;
    static final long SAVED_ST_CLEAR_OBJECT = 0x80000002L;
    static final long OWNER_PERSISTENT_LAST = 0x817FFFFFL;

    private final EngineCore core;

    ContextCommands(EngineCore core) {
        this.core = core;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.FLUSH_CONTEXT, CommandCode.CONTEXT_SAVE, CommandCode.CONTEXT_LOAD,
                CommandCode.EVICT_CONTROL);
    }

    @Override
    public long handle(CommandCode cc, int index, long h) throws TpmFormatException {
        if (cc == CommandCode.CONTEXT_SAVE) {
            return contextHandle(h); // TPMI_DH_CONTEXT
        }
        if (index == 0) { // EvictControl auth: TPMI_RH_PROVISION
            if (h != TpmEngine.RH_OWNER && h != TpmEngine.RH_PLATFORM) {
                throw new TpmFormatException(TpmRc.VALUE);
            }
            return h;
        }
        return EngineCore.objectHandle(h);
    }

    @Override
    public void checkLoaded(CommandCode cc, int index, long h) throws TpmFormatException {
        if (cc == CommandCode.CONTEXT_SAVE) {
            boolean loaded = ObjectSlots.isTransient(h) ? core.objects.get(h) != null
                    : core.sessions.get(h) != null && !core.sessions.get(h).saved();
            if (!loaded) {
                throw new TpmFormatException(TpmRc.REFERENCE_H0);
            }
        } else if (cc == CommandCode.EVICT_CONTROL && index == 1) {
            core.checkObjectLoaded(h);
        }
    }

    /** TPMI_DH_CONTEXT: an HMAC or policy session, or a transient object slot. */
    private static long contextHandle(long h) throws TpmFormatException {
        boolean ok = Authorisation.isHmacSessionHandle(h) || Authorisation.isPolicySessionHandle(h)
                || (h >= ObjectSlots.TRANSIENT_FIRST && h < ObjectSlots.TRANSIENT_FIRST + ObjectSlots.MAX_LOADED_OBJECTS);
        if (!ok) {
            throw new TpmFormatException(TpmRc.VALUE);
        }
        return h;
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
        switch (c.cc()) {
            case FLUSH_CONTEXT -> {
                long handle = param(r, 1, rd -> contextHandle(rd.u32()));
                noMoreParams(r);
                boolean flushed = ObjectSlots.isTransient(handle) ? core.objects.remove(handle)
                        : core.sessions.remove(handle) != null; // loaded or saved (Part 3 28.4)
                if (!flushed) {
                    throw new TpmFormatException(TpmRc.withParameter(TpmRc.HANDLE, 1));
                }
            }
            case CONTEXT_SAVE -> {
                noMoreParams(r);
                contextSave(c.handle(0), c.out());
            }
            case CONTEXT_LOAD -> {
                long sequence = param(r, 1, rd -> rd.u32() << 32 | rd.u32());
                long saved = param(r, 1, TpmReader::u32);
                long hierarchy = param(r, 1, TpmReader::u32);
                byte[] blob = param(r, 1, rd -> rd.tpm2b(MAX_CONTEXT_DATA));
                noMoreParams(r);
                contextLoad(sequence, saved, hierarchy, blob);
            }
            case EVICT_CONTROL -> {
                long persistent = param(r, 1, rd -> {
                    long h = rd.u32();
                    if ((h >>> 24) != 0x81) {
                        throw new TpmFormatException(TpmRc.VALUE); // TPMI_DH_PERSISTENT
                    }
                    return h;
                });
                noMoreParams(r);
                evictControl(c.handle(0), c.handle(1), persistent);
            }
            default -> throw new IllegalStateException("unhandled " + c.cc());
        }
    }

    /** Part 3 28.2 TPM2_ContextSave. */
    private void contextSave(long handle, TpmWriter out) throws TpmFormatException {
        long sequence = core.contextSequence++;
        if (!ObjectSlots.isTransient(handle)) {
            Authorisation.AuthSession s = core.sessions.get(handle);
            s.savedSequence = sequence;
            writeContext(out, sequence, handle, TpmEngine.RH_NULL, new byte[0]);
            return;
        }
        if (!(core.objects.get(handle) instanceof TpmObject o)) {
            // sequence objects stay where they are: saving them is not offered
            throw new TpmFormatException(TpmRc.withHandle(TpmRc.TYPE, 1));
        }
        long saved = o.pub.has(PublicArea.ST_CLEAR) ? SAVED_ST_CLEAR_OBJECT : SAVED_OBJECT;
        TpmWriter plain = new TpmWriter(700);
        o.pub.writeTo(plain);
        plain.tpm2b(o.publicOnly() ? new byte[0] : o.sensitive.marshal()); // LoadExternal: public only
        if (o.parentName != null) {
            plain.tpm2b(o.parentName); // for ObjectChangeAuth; contexts saved before it existed have none
        }
        byte[][] k = keyAndIv(o.hierarchy, sequence, saved);
        byte[] enc = Crypto.aesCfb(true, k[0], k[1], plain.toByteArray());
        writeContext(out, sequence, saved, o.hierarchy, enc);
    }

    private void writeContext(TpmWriter out, long sequence, long saved, long hierarchy, byte[] enc) {
        byte[] integrity = integrity(sequence, saved, hierarchy, enc);
        out.u64(sequence).u32(saved).u32(hierarchy).u16(2 + integrity.length + enc.length).tpm2b(integrity).bytes(enc);
    }

    /** Part 3 28.3 TPM2_ContextLoad: every failure to authenticate or parse the blob is TPM_RC_INTEGRITY. */
    private void contextLoad(long sequence, long saved, long hierarchy, byte[] blob) throws TpmFormatException {
        boolean session = Authorisation.isHmacSessionHandle(saved) || Authorisation.isPolicySessionHandle(saved);
        if (!session && saved != SAVED_OBJECT && saved != SAVED_ST_CLEAR_OBJECT) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.HANDLE, 1));
        }
        if (hierarchy != TpmEngine.RH_OWNER && hierarchy != TpmEngine.RH_ENDORSEMENT
                && hierarchy != TpmEngine.RH_PLATFORM && hierarchy != TpmEngine.RH_NULL) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.HIERARCHY, 1));
        }
        byte[][] parts = ProtectedStorage.split(blob, TpmRc.SIZE);
        byte[] enc = parts[1];
        if (!MessageDigest.isEqual(parts[0], integrity(sequence, saved, hierarchy, enc))) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.INTEGRITY, 1));
        }
        if (session) {
            Authorisation.AuthSession s = core.sessions.get(saved);
            if (s == null || s.savedSequence != sequence || hierarchy != TpmEngine.RH_NULL || enc.length != 0) {
                throw new TpmFormatException(TpmRc.withParameter(TpmRc.HANDLE, 1)); // flushed, or loaded again
            }
            if (core.loadedSessions() >= Authorisation.MAX_LOADED_SESSIONS) {
                throw new TpmFormatException(TpmRc.SESSION_MEMORY);
            }
            s.savedSequence = -1;
            core.responseHandle = saved;
            return;
        }
        byte[][] k = keyAndIv(hierarchy, sequence, saved);
        byte[] plain = Crypto.aesCfb(false, k[0], k[1], enc);
        TpmObject o;
        try {
            TpmReader p = new TpmReader(plain, 0, plain.length);
            PublicArea pub = PublicArea.read2b(p);
            byte[] sensitive = p.tpm2b(Math.max(0, p.remaining() - 2));
            TpmReader sr = new TpmReader(sensitive, 0, sensitive.length);
            SensitiveArea s = sensitive.length == 0 ? null : SensitiveArea.read(sr);
            byte[] parentName = p.remaining() > 0 ? p.tpm2b(2 + Params.MAX_DIGEST) : null;
            if (sr.remaining() != 0 || p.remaining() != 0) {
                throw new TpmFormatException(TpmRc.SIZE);
            }
            o = new TpmObject(pub, s, hierarchy);
            o.parentName = parentName;
        } catch (TpmFormatException | IllegalArgumentException e) {
            // authentic but unreadable: only a TPM with this proof could have made it, so not expected
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.INTEGRITY, 1));
        }
        core.responseHandle = core.objects.add(o);
    }

    /** The AES-128 key and the IV: KDFa(SHA-256, proof, "CONTEXT", sequence, handle, 256) split in two. */
    private byte[][] keyAndIv(long hierarchy, long sequence, long saved) {
        byte[] k = Crypto.kdfa(HashAlg.SHA256, core.contextProof(hierarchy), "CONTEXT",
                new TpmWriter(8).u64(sequence).toByteArray(), Params.u32Bytes(saved), 256);
        return new byte[][] {java.util.Arrays.copyOf(k, 16), java.util.Arrays.copyOfRange(k, 16, 32)};
    }

    private byte[] integrity(long sequence, long saved, long hierarchy, byte[] enc) {
        TpmWriter w = new TpmWriter(24 + enc.length);
        w.u32(core.st.resetCount).u64(sequence).u32(saved).u32(hierarchy);
        if (saved == SAVED_ST_CLEAR_OBJECT) {
            w.u32(core.st.restartCount);
        }
        w.bytes(enc);
        return Crypto.hmac(HashAlg.SHA256, core.contextProof(hierarchy), w.toByteArray());
    }

    /** Part 3 28.5 TPM2_EvictControl: makes a loaded object persistent, or deletes a persistent one. */
    private void evictControl(long auth, long object, long persistent) throws TpmFormatException {
        boolean ownerRange = persistent <= OWNER_PERSISTENT_LAST;
        if ((auth == TpmEngine.RH_OWNER) != ownerRange) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.RANGE, 1));
        }
        if (!ObjectSlots.isTransient(object)) {
            if (object != persistent) {
                throw new TpmFormatException(TpmRc.withHandle(TpmRc.HANDLE, 2));
            }
            core.st.persistent.remove(persistent);
            core.dirtyPermanent = true;
            return;
        }
        TpmObject o = core.object(object, 2);
        if (o.publicOnly()) {
            throw new TpmFormatException(TpmRc.withHandle(TpmRc.ATTRIBUTES, 2));
        }
        if (o.hierarchy == TpmEngine.RH_NULL) {
            throw new TpmFormatException(TpmRc.withHandle(TpmRc.HIERARCHY, 2));
        }
        if (o.pub.has(PublicArea.ST_CLEAR)) {
            throw new TpmFormatException(TpmRc.withHandle(TpmRc.ATTRIBUTES, 2));
        }
        if (auth == TpmEngine.RH_OWNER && o.hierarchy == TpmEngine.RH_PLATFORM) {
            throw new TpmFormatException(TpmRc.withHandle(TpmRc.HIERARCHY, 2));
        }
        if (core.st.persistent.containsKey(persistent)) {
            throw new TpmFormatException(TpmRc.NV_DEFINED);
        }
        if (core.st.persistent.size() >= MAX_PERSISTENT
                || core.st.nvBytesUsed() + o.encodedSize() > NvCommands.MAX_TOTAL_BYTES) {
            throw new TpmFormatException(TpmRc.NV_SPACE);
        }
        core.st.persistent.put(persistent, o);
        core.dirtyPermanent = true;
    }
}
