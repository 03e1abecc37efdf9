package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.util.Arrays;
import java.util.Set;

/**
 * Part 3 chapter 31 (Non-volatile Storage): NV_DefineSpace (31.3), NV_UndefineSpace (31.4),
 * NV_ReadPublic (31.6), NV_Write (31.7), NV_Increment (31.8), NV_Extend (31.9), NV_Read (31.13).
 * Checks follow libtpms 0.9 NVCommands.c / NV_spt.c in order, so errors equal swtpm's.
 */
final class NvCommands implements CommandGroup {
    /** At most this many indices (libtpms has room for more; this TPM's permanent blob is 16 KiB). */
    static final int MAX_INDICES = 16;
    /** MAX_NV_INDEX_SIZE (libtpms 2048). */
    static final int MAX_INDEX_SIZE = 2048;
    /** MAX_NV_BUFFER_SIZE (libtpms 1024): the most one NV_Read or NV_Write moves. */
    static final int MAX_BUFFER = 1024;
    /** The NV space: the sum of all indices' dataSize and the persistent objects' encoded sizes. */
    static final int MAX_TOTAL_BYTES = 8192;

    private final EngineCore core;

    NvCommands(EngineCore core) {
        this.core = core;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.NV_DEFINE_SPACE, CommandCode.NV_UNDEFINE_SPACE, CommandCode.NV_READ_PUBLIC,
                CommandCode.NV_WRITE, CommandCode.NV_INCREMENT, CommandCode.NV_EXTEND, CommandCode.NV_READ);
    }

    static boolean isNvHandle(long h) {
        return (h >>> 24) == 0x01;
    }

    @Override
    public long handle(CommandCode cc, int index, long h) throws TpmFormatException {
        boolean provision = cc == CommandCode.NV_DEFINE_SPACE || cc == CommandCode.NV_UNDEFINE_SPACE;
        if (index == 0 && provision) {
            // TPMI_RH_PROVISION
            if (h != TpmEngine.RH_OWNER && h != TpmEngine.RH_PLATFORM) {
                throw new TpmFormatException(TpmRc.VALUE);
            }
            return h;
        }
        if (index == 0 && cc != CommandCode.NV_READ_PUBLIC
                && (h == TpmEngine.RH_OWNER || h == TpmEngine.RH_PLATFORM)) {
            return h; // TPMI_RH_NV_AUTH: a hierarchy or the index itself
        }
        if (!isNvHandle(h)) {
            throw new TpmFormatException(TpmRc.VALUE);
        }
        return h;
    }

    @Override
    public void checkLoaded(CommandCode cc, int index, long h) throws TpmFormatException {
        if (isNvHandle(h) && !core.st.nv.containsKey(h)) {
            throw new TpmFormatException(TpmRc.HANDLE); // Part 4 NvIndexIsAccessible
        }
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
        switch (c.cc()) {
            case NV_DEFINE_SPACE -> {
                byte[] auth = param(r, 1, rd -> rd.tpm2b(Params.MAX_DIGEST));
                NvIndex pub = param(r, 2, NvCommands::nvPublic);
                noMoreParams(r);
                define(c.handle(0), Authorisation.stripTrailingZeros(auth), pub);
            }
            case NV_UNDEFINE_SPACE -> {
                noMoreParams(r);
                NvIndex i = core.st.nv.get(c.handle(1));
                if (i.has(NvIndex.POLICY_DELETE)) {
                    throw new TpmFormatException(TpmRc.withHandle(TpmRc.ATTRIBUTES, 2));
                }
                if (c.handle(0) == TpmEngine.RH_OWNER && i.has(NvIndex.PLATFORMCREATE)) {
                    throw new TpmFormatException(TpmRc.NV_AUTHORIZATION);
                }
                if (i.type() == NvIndex.NT_COUNTER && i.has(NvIndex.WRITTEN)) {
                    core.st.nvMaxCount = Math.max(core.st.nvMaxCount, counter(i)); // Part 4 NvDeleteIndex
                }
                core.st.nv.remove(i.handle);
                core.dirtyPermanent = true;
            }
            case NV_READ_PUBLIC -> {
                noMoreParams(r);
                NvIndex i = core.st.nv.get(c.handle(0));
                c.out().tpm2b(i.publicArea()).tpm2b(i.name());
            }
            case NV_WRITE -> {
                byte[] data = param(r, 1, rd -> rd.tpm2b(MAX_BUFFER));
                int offset = param(r, 2, TpmReader::u16);
                noMoreParams(r);
                NvIndex i = writable(c);
                int t = i.type();
                if (t == NvIndex.NT_COUNTER || t == NvIndex.NT_BITS || t == NvIndex.NT_EXTEND) {
                    throw new TpmFormatException(TpmRc.ATTRIBUTES);
                }
                if (offset > i.data.length) {
                    throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 2));
                }
                if (data.length > i.data.length - offset) {
                    throw new TpmFormatException(TpmRc.NV_RANGE);
                }
                if (i.has(NvIndex.WRITEALL) && data.length < i.data.length) {
                    throw new TpmFormatException(TpmRc.NV_RANGE);
                }
                System.arraycopy(data, 0, i.data, offset, data.length);
                written(i);
            }
            case NV_INCREMENT -> {
                noMoreParams(r);
                NvIndex i = writable(c);
                if (i.type() != NvIndex.NT_COUNTER) {
                    throw new TpmFormatException(TpmRc.withHandle(TpmRc.ATTRIBUTES, 2));
                }
                long v = (i.has(NvIndex.WRITTEN) ? counter(i) : core.st.nvMaxCount) + 1;
                for (int k = 0; k < 8; k++) {
                    i.data[k] = (byte) (v >>> (56 - 8 * k));
                }
                written(i);
            }
            case NV_EXTEND -> {
                byte[] data = param(r, 1, rd -> rd.tpm2b(MAX_BUFFER));
                noMoreParams(r);
                NvIndex i = writable(c);
                if (i.type() != NvIndex.NT_EXTEND) {
                    throw new TpmFormatException(TpmRc.withHandle(TpmRc.ATTRIBUTES, 2));
                }
                if (!i.has(NvIndex.WRITTEN)) {
                    Arrays.fill(i.data, (byte) 0);
                }
                java.security.MessageDigest md = i.nameAlg.digest();
                md.update(i.data);
                md.update(data);
                System.arraycopy(md.digest(), 0, i.data, 0, i.data.length);
                written(i);
            }
            case NV_READ -> {
                int size = param(r, 1, TpmReader::u16);
                int offset = param(r, 2, TpmReader::u16);
                noMoreParams(r);
                NvIndex i = core.st.nv.get(c.handle(1));
                accessChecks(c.handle(0), i, NvIndex.READLOCKED, NvIndex.OWNERREAD, NvIndex.PPREAD);
                if (!i.has(NvIndex.WRITTEN)) {
                    throw new TpmFormatException(TpmRc.NV_UNINITIALIZED);
                }
                if (size > MAX_BUFFER) {
                    throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 1));
                }
                if (offset > i.data.length) {
                    throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 2));
                }
                if (size > i.data.length - offset) {
                    throw new TpmFormatException(TpmRc.NV_RANGE);
                }
                c.out().tpm2b(Arrays.copyOfRange(i.data, offset, offset + size));
            }
            default -> throw new IllegalStateException("unhandled " + c.cc());
        }
    }

    private static long counter(NvIndex i) {
        long v = 0;
        for (int k = 0; k < 8; k++) {
            v = (v << 8) | (i.data[k] & 0xFF);
        }
        return v;
    }

    private void written(NvIndex i) {
        i.attributes |= NvIndex.WRITTEN;
        core.dirtyPermanent = true;
    }

    /** Part 4 NV_spt.c NvWriteAccessChecks. */
    private NvIndex writable(Command c) throws TpmFormatException {
        NvIndex i = core.st.nv.get(c.handle(1));
        accessChecks(c.handle(0), i, NvIndex.WRITELOCKED, NvIndex.OWNERWRITE, NvIndex.PPWRITE);
        return i;
    }

    /** NvReadAccessChecks / NvWriteAccessChecks: locked, then who may authorise. */
    private static void accessChecks(long authHandle, NvIndex i, int locked, int owner, int platform)
            throws TpmFormatException {
        if (i.has(locked)) {
            throw new TpmFormatException(TpmRc.NV_LOCKED);
        }
        boolean ok = authHandle == TpmEngine.RH_OWNER ? i.has(owner)
                : authHandle == TpmEngine.RH_PLATFORM ? i.has(platform) : authHandle == i.handle;
        if (!ok) {
            throw new TpmFormatException(TpmRc.NV_AUTHORIZATION);
        }
    }

    /** TPM2B_NV_PUBLIC (Part 2 13.6): a size, then exactly that many bytes of TPMS_NV_PUBLIC. */
    private static NvIndex nvPublic(TpmReader r) throws TpmFormatException {
        int size = r.u16();
        if (size == 0) {
            throw new TpmFormatException(TpmRc.SIZE);
        }
        int outer = r.pushLimit(size);
        long handle = r.u32();
        if (!isNvHandle(handle)) {
            throw new TpmFormatException(TpmRc.VALUE); // TPMI_RH_NV_INDEX
        }
        HashAlg alg = Params.hashAlg(r);
        int attrs = r.s32();
        if ((attrs & 0x01F00300) != 0) { // TPMA_NV reserved bits 8-9 and 20-24
            throw new TpmFormatException(TpmRc.RESERVED_BITS);
        }
        byte[] policy = r.tpm2b(Params.MAX_DIGEST);
        int dataSize = r.u16();
        if (r.remaining() != 0) {
            throw new TpmFormatException(TpmRc.SIZE);
        }
        r.restoreLimit(outer);
        return new NvIndex(handle, alg, attrs, policy, new byte[0], new byte[dataSize]);
    }

    /**
     * The public-area checks of TPM2_NV_DefineSpace that do not depend on the authorising hierarchy,
     * in libtpms's order; 0 if consistent, else the (unnumbered) error. Also used to validate state blobs.
     */
    static int checkPublic(HashAlg nameAlg, int a, byte[] authPolicy, int dataSize) {
        int nameSize = nameAlg.digestSize();
        if (authPolicy.length != 0 && authPolicy.length != nameSize) {
            return TpmRc.SIZE;
        }
        int t = NvIndex.type(a);
        if (t != NvIndex.NT_ORDINARY && t != NvIndex.NT_COUNTER && t != NvIndex.NT_BITS && t != NvIndex.NT_EXTEND
                && t != NvIndex.NT_PIN_FAIL && t != NvIndex.NT_PIN_PASS) {
            return TpmRc.ATTRIBUTES;
        }
        if (t == NvIndex.NT_ORDINARY ? dataSize > MAX_INDEX_SIZE
                : t == NvIndex.NT_EXTEND ? dataSize != nameSize : dataSize != 8) {
            return TpmRc.SIZE;
        }
        if (t == NvIndex.NT_COUNTER && (a & NvIndex.CLEAR_STCLEAR) != 0) {
            return TpmRc.ATTRIBUTES;
        }
        if (t == NvIndex.NT_PIN_FAIL && (a & NvIndex.NO_DA) == 0) {
            return TpmRc.ATTRIBUTES;
        }
        if ((t == NvIndex.NT_PIN_FAIL || t == NvIndex.NT_PIN_PASS)
                && (a & (NvIndex.AUTHWRITE | NvIndex.GLOBALLOCK | NvIndex.WRITEDEFINE)) != 0) {
            return TpmRc.ATTRIBUTES;
        }
        if ((a & (NvIndex.WRITTEN | NvIndex.WRITELOCKED | NvIndex.READLOCKED)) != 0) {
            return TpmRc.ATTRIBUTES;
        }
        if ((a & (NvIndex.OWNERREAD | NvIndex.PPREAD | NvIndex.AUTHREAD | NvIndex.POLICYREAD)) == 0
                || (a & (NvIndex.OWNERWRITE | NvIndex.PPWRITE | NvIndex.AUTHWRITE | NvIndex.POLICYWRITE)) == 0) {
            return TpmRc.ATTRIBUTES;
        }
        if ((a & NvIndex.CLEAR_STCLEAR) != 0 && (a & NvIndex.WRITEDEFINE) != 0) {
            return TpmRc.ATTRIBUTES;
        }
        return 0;
    }

    /** Part 3 31.3 TPM2_NV_DefineSpace (libtpms 0.9 order of checks). */
    private void define(long authHandle, byte[] auth, NvIndex pub) throws TpmFormatException {
        int a = pub.attributes;
        if (pub.authPolicy.length != 0 && pub.authPolicy.length != pub.nameAlg.digestSize()) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SIZE, 2));
        }
        if (auth.length > pub.nameAlg.digestSize()) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SIZE, 1));
        }
        int rc = checkPublic(pub.nameAlg, a, pub.authPolicy, pub.data.length);
        if (rc != 0) {
            throw new TpmFormatException(TpmRc.withParameter(rc, 2));
        }
        boolean platformCreate = (a & NvIndex.PLATFORMCREATE) != 0;
        if (platformCreate != (authHandle == TpmEngine.RH_PLATFORM)) {
            throw new TpmFormatException(TpmRc.withHandle(TpmRc.ATTRIBUTES, 1));
        }
        if ((a & NvIndex.POLICY_DELETE) != 0 && authHandle != TpmEngine.RH_PLATFORM) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.ATTRIBUTES, 2));
        }
        if (pub.data.length > MAX_BUFFER && (a & NvIndex.WRITEALL) != 0) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.SIZE, 2));
        }
        if (core.st.nv.containsKey(pub.handle)) {
            throw new TpmFormatException(TpmRc.NV_DEFINED);
        }
        if (core.st.nv.size() >= MAX_INDICES || core.st.nvBytesUsed() + pub.data.length > MAX_TOTAL_BYTES) {
            throw new TpmFormatException(TpmRc.NV_SPACE);
        }
        pub.auth = auth;
        Arrays.fill(pub.data, (byte) 0xFF); // Part 4 NvDefineIndex: bytes never written read as 0xFF
        core.st.nv.put(pub.handle, pub);
        core.dirtyPermanent = true;
    }

    /** Startup after TPM Reset or Restart: indices with CLEAR_STCLEAR lose WRITTEN (Part 1 37.6). */
    static void startupClear(TpmState st) {
        for (NvIndex i : st.nv.values()) {
            if (i.has(NvIndex.CLEAR_STCLEAR)) {
                i.attributes &= ~NvIndex.WRITTEN;
            }
        }
    }
}
