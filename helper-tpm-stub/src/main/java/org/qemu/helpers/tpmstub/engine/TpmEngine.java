package org.qemu.helpers.tpmstub.engine;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * A TPM 2.0 command engine: command bytes in, response bytes out (TPM 2.0 Library Part 1 18,
 * Part 3). No I/O: time comes from an injected millisecond clock and randomness from an injected
 * {@link RandomSource}. Not thread-safe; callers serialise access.
 *
 * <p>Command processing follows the reference implementation's order (Part 4 ExecCommand.c):
 * header, command code, startup state, handles, authorisation area, parameters, action. The
 * commands themselves live in one {@link CommandGroup} per Part 3 chapter.
 */
public final class TpmEngine {
    public static final int MAX_COMMAND_SIZE = 4096;
    public static final int ST_NO_SESSIONS = 0x8001;
    public static final int ST_SESSIONS = 0x8002;

    static final long RS_PW = 0x40000009L;
    static final long RH_OWNER = 0x40000001L;
    static final long RH_NULL = 0x40000007L;
    static final long RH_LOCKOUT = 0x4000000AL;
    static final long RH_ENDORSEMENT = 0x4000000BL;
    static final long RH_PLATFORM = 0x4000000CL;
    static final long RH_ACT_0 = 0x40000110L;
    static final long RH_ACT_F = 0x4000011FL;
    /** The TPM_ST values of Part 2 6.9 (table 19). */
    private static final Set<Integer> KNOWN_ST = Set.of(0x00C4, 0x8000, 0x8001, 0x8002,
            0x8014, 0x8015, 0x8016, 0x8017, 0x8018, 0x8019, 0x801A, 0x8021, 0x8022, 0x8023, 0x8024,
            0x8025);

    /** Source of random bytes for TPM2_GetRandom; {@link #stir} adds caller entropy (TPM2_StirRandom). */
    public interface RandomSource {
        void fill(byte[] out);

        void stir(byte[] entropy);
    }

    /** A response plus which parts of the state the command changed (to persist before replying). */
    public record Result(byte[] response, int rc, boolean permanentChanged, boolean volatileChanged) { }

    /** Which parts of the state a platform indication changed (to persist before acknowledging it). */
    public record StateChange(boolean permanentChanged, boolean volatileChanged) { }

    private final EngineCore core;
    private final TpmState st;
    private final Authorisation auth;
    private final HashCommands hashing;
    private final Map<CommandCode, CommandGroup> groups = new EnumMap<>(CommandCode.class);
    /** The response parameter area and the response, reused: commands run one at a time (the device's lock). */
    private final TpmWriter paramsOut = new TpmWriter(64);
    private final TpmWriter responseOut = new TpmWriter(128);

    /** A freshly manufactured TPM with the given allocated banks, initialised (_TPM_Init) but not started. */
    public TpmEngine(Set<HashAlg> banks, LongSupplier millis, RandomSource random) {
        this.st = new TpmState(banks);
        st.secrets = TpmState.Secrets.generate(random); // manufacture (Part 1 14.3.2)
        this.core = new EngineCore(st, millis, random);
        this.auth = new Authorisation(core);
        PcrCommands pcrs = new PcrCommands(core);
        this.hashing = new HashCommands(core, pcrs);
        for (CommandGroup g : List.of(new StartupCommands(core), new SessionCommands(core, auth),
                new ObjectCommands(core, pcrs), hashing, new AttestationCommands(core, pcrs), new SigningCommands(core),
                new RandomCommands(core), new AsymmetricCommands(core), pcrs, new PolicyCommands(core, pcrs), new HierarchyCommands(core, pcrs),
                new ContextCommands(core), new ClockCommands(core), new CapabilityCommands(core),
                new NvCommands(core))) {
            for (CommandCode cc : g.commands()) {
                if (groups.put(cc, g) != null) {
                    throw new IllegalStateException(cc + " in two groups");
                }
            }
        }
        for (CommandCode cc : CommandCode.values()) {
            if (!groups.containsKey(cc)) {
                throw new IllegalStateException(cc + " has no group");
            }
        }
    }

    // ------------------------------------------------------------------ life cycle (control channel)

    /** _TPM_Init (swtpm CMD_INIT): volatile state from {@code restored} if given, else reset; TPM not started. */
    public void init(TpmState.Volatile restored) {
        core.flushLoaded();
        core.drtmPreStartup = false;
        st.nvClock = clockNow();
        core.initMillis = core.millis();
        if (restored != null) {
            st.applyVolatile(restored);
        } else {
            st.resetVolatile();
            st.clockAtInit = st.nvClock;
            st.timeAtInit = 0;
        }
        core.running = true;
    }

    /** swtpm CMD_STOP: the TPM stops answering until the next {@link #init}. */
    public void stop() {
        st.nvClock = clockNow();
        core.running = false;
    }

    public boolean running() {
        return core.running;
    }

    public TpmState state() {
        return st;
    }

    /** TPM clock in ms: advances while the engine exists and persists across init. */
    public long clockNow() {
        return core.clockNow();
    }

    public byte[] encodePermanent() {
        return st.encodePermanent(clockNow());
    }

    public byte[] encodeVolatile() {
        return st.encodeVolatile(core.timeNow(), clockNow());
    }

    /** The sealed volatile state encoded into a reusable writer (see {@link TpmWriter#buffer()}). */
    public TpmWriter encodeVolatileInto(TpmWriter w) {
        return st.encodeVolatileInto(w, core.timeNow(), clockNow());
    }

    /** Replaces the whole state with validated blobs (migration, restore); the TPM is then running. */
    public void load(TpmState.Permanent p, TpmState.Volatile v) {
        core.flushLoaded();
        core.drtmPreStartup = false;
        st.applyPermanent(p, p.needsSecrets() ? TpmState.Secrets.generate(core.random) : null);
        core.initMillis = core.millis();
        if (v != null) {
            st.applyVolatile(v);
        } else {
            st.resetVolatile();
            st.clockAtInit = p.clock();
            st.timeAtInit = 0;
        }
        core.running = true;
    }

    /** Replaces only the permanent part (SET_STATEBLOB type 1 while stopped). */
    public void loadPermanent(TpmState.Permanent p) {
        st.applyPermanent(p, p.needsSecrets() ? TpmState.Secrets.generate(core.random) : null);
    }

    /** swtpm RESET_TPMESTABLISHED: clears the establishment flag; true if it was set. */
    public boolean resetEstablished() {
        boolean was = st.tpmEstablished;
        st.tpmEstablished = false;
        return was;
    }

    // ------------------------------------------------------------------ platform hash indications

    /** _TPM_Hash_Start (swtpm CMD_HASH_START); also sets the TPM established flag. */
    public StateChange hashStart() {
        core.begin();
        hashing.hashStart();
        return new StateChange(core.dirtyPermanent, core.dirtyVolatile);
    }

    /** _TPM_Hash_Data (swtpm CMD_HASH_DATA); without a started sequence it does nothing. */
    public void hashData(byte[] data, int off, int len) {
        hashing.hashData(data, off, len);
    }

    /** _TPM_Hash_End (swtpm CMD_HASH_END): extends the DRTM (or, before Startup, the H-CRTM) PCR. */
    public StateChange hashEnd() {
        core.begin();
        hashing.hashEnd();
        return new StateChange(core.dirtyPermanent, core.dirtyVolatile);
    }

    // ------------------------------------------------------------------ command execution

    /** Executes one command at the given locality (0-4) and returns the response (Part 1 18.9). */
    public Result execute(byte[] command, int locality) {
        core.begin();
        byte[] resp;
        int rc;
        if (!core.running) {
            rc = TpmRc.FAILURE;
            resp = errorResponse(rc);
        } else {
            core.selfHeal();
            if (core.drtmHandle >= 0) {
                // Part 4 ExecCommand.c: any command ends a _TPM_Hash_Start sequence unceremoniously
                core.objects.remove(core.drtmHandle);
                core.drtmHandle = -1;
            }
            try {
                resp = run(command, locality);
                rc = TpmRc.SUCCESS;
            } catch (TpmFormatException e) {
                rc = e.rc();
                resp = errorResponse(rc);
            }
            if (core.clearOrderly && TpmState.isOrderly(st.orderlyState)) {
                st.orderlyState = core.daUsed ? TpmState.SU_DA_USED : TpmState.SU_NONE;
                core.dirtyPermanent = true;
            }
        }
        return new Result(resp, rc, core.dirtyPermanent, core.dirtyVolatile);
    }

    static byte[] errorResponse(int rc) {
        return new TpmWriter(10).u16(ST_NO_SESSIONS).u32(10).u32(rc).toByteArray();
    }

    private byte[] run(byte[] cmd, int locality) throws TpmFormatException {
        TpmReader r = new TpmReader(cmd, 0, cmd.length);
        int tag = r.u16();
        if (tag != ST_NO_SESSIONS && tag != ST_SESSIONS) {
            // TPM_ST_Unmarshal refuses unknown TPM_ST values; TPMI_ST_COMMAND_TAG the other known ones
            throw new TpmFormatException(KNOWN_ST.contains(tag) ? TpmRc.BAD_TAG : TpmRc.VALUE);
        }
        long size = r.u32();
        if (size != cmd.length || size > MAX_COMMAND_SIZE) {
            throw new TpmFormatException(TpmRc.COMMAND_SIZE);
        }
        CommandCode cc = CommandCode.byCode(r.u32());
        if (cc == null) {
            throw new TpmFormatException(TpmRc.COMMAND_CODE);
        }
        // Part 3 9.3: only TPM2_Startup before startup, and it only once
        if (st.started == (cc == CommandCode.STARTUP)) {
            throw new TpmFormatException(TpmRc.INITIALIZE);
        }
        CommandGroup group = groups.get(cc);
        long[] handles = new long[cc.handles()];
        for (int i = 0; i < handles.length; i++) {
            try {
                handles[i] = group.handle(cc, i, r.u32());
            } catch (TpmFormatException e) {
                throw new TpmFormatException(e.rc() == TpmRc.REFERENCE_H0 ? e.rc() + i
                        : TpmRc.withHandle(e.rc(), i + 1));
            }
        }
        for (int i = 0; i < handles.length; i++) {
            try {
                group.checkLoaded(cc, i, handles[i]);
            } catch (TpmFormatException e) {
                throw new TpmFormatException(e.rc() == TpmRc.REFERENCE_H0 ? e.rc() + i
                        : TpmRc.withHandle(e.rc(), i + 1));
            }
        }
        List<Authorisation.Session> sessions = List.of();
        if (tag == ST_SESSIONS) {
            long authSize = r.u32();
            if (authSize < 9 || authSize > r.remaining()) {
                throw new TpmFormatException(TpmRc.SIZE);
            }
            if (!cc.sessionsAllowed()) {
                throw new TpmFormatException(TpmRc.AUTH_CONTEXT);
            }
            int outer = r.pushLimit((int) authSize);
            sessions = auth.parseSessions(cc, r);
            r.restoreLimit(outer);
            byte[] plain = auth.check(cc, handles, sessions, cmd, r.position());
            if (plain != cmd) { // the first parameter was decrypted (Part 1 21)
                r = new TpmReader(plain, r.position(), plain.length);
            }
        } else if (cc.authHandles() > 0) {
            throw new TpmFormatException(TpmRc.AUTH_MISSING);
        }
        TpmWriter params = paramsOut.reset(); // grows for the few large responses and stays so
        group.execute(new Command(cc, handles, r, params, locality));
        byte[] p = params.toByteArray();
        if (tag == ST_SESSIONS) {
            p = auth.prepareResponse(cc, sessions, p);
        }
        TpmWriter out = responseOut.reset();
        out.u16(tag).u32(0).u32(TpmRc.SUCCESS);
        if (core.responseHandle >= 0) {
            out.u32(core.responseHandle);
        }
        if (tag == ST_SESSIONS) {
            out.u32(p.length);
        }
        out.bytes(p);
        if (tag == ST_SESSIONS) {
            auth.writeResponse(cc, sessions, p, out);
        }
        out.putU32At(2, out.length());
        return out.toByteArray();
    }
}
