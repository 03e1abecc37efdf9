package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** Part 3 chapter 30 (Capability Commands): GetCapability. */
final class CapabilityCommands implements CommandGroup {
    private final EngineCore core;

    CapabilityCommands(EngineCore core) {
        this.core = core;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.GET_CAPABILITY);
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
        long cap = param(r, 1, rd -> {
            long v = rd.u32();
            if (v > Capabilities.CAP_ACT && v != 0x100) { // TPM_CAP_Unmarshal
                throw new TpmFormatException(TpmRc.VALUE);
            }
            return v;
        });
        long property = param(r, 2, TpmReader::u32);
        long count = param(r, 3, TpmReader::u32);
        noMoreParams(r);
        getCapability(cap, property, count, c.out());
    }

    private void getCapability(long cap, long property, long count, TpmWriter out) throws TpmFormatException {
        boolean more;
        TpmWriter data = new TpmWriter(1024);
        switch ((int) Math.min(cap, Integer.MAX_VALUE)) {
            case Capabilities.CAP_ALGS -> {
                // the property is a TPM_ALG_ID
                Page<int[]> page = page(Arrays.asList(Capabilities.ALGS), a -> a[0], property & 0xFFFF,
                        Math.min(count, Capabilities.MAX_CAP_ALGS));
                more = page.more();
                data.u32(page.items().size());
                for (int[] a : page.items()) {
                    data.u16(a[0]).u32(a[1]);
                }
            }
            case Capabilities.CAP_HANDLES -> more = handles(property, count, data);
            case Capabilities.CAP_COMMANDS -> {
                Page<CommandCode> page = page(CommandCode.SORTED, CommandCode::code, property,
                        Math.min(count, Capabilities.MAX_CAP_CC));
                more = page.more();
                data.u32(page.items().size());
                page.items().forEach(c -> data.u32(c.attributes()));
            }
            case Capabilities.CAP_PP_COMMANDS, Capabilities.CAP_AUDIT_COMMANDS -> {
                more = false;
                data.u32(0);
            }
            case Capabilities.CAP_PCRS -> {
                if (property != 0) {
                    throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 2));
                }
                if (count == 0) {
                    more = true;
                    data.u32(0);
                } else {
                    more = false;
                    data.u32(HashAlg.values().length);
                    for (HashAlg h : HashAlg.values()) {
                        int bits = core.st.allocated.contains(h) ? 0xFF : 0x00;
                        data.u16(h.algId()).u8(3).u8(bits).u8(bits).u8(bits);
                    }
                }
            }
            case Capabilities.CAP_TPM_PROPERTIES -> more = tpmProperties(property, count, data);
            case Capabilities.CAP_PCR_PROPERTIES -> {
                Page<Integer> page = page(Arrays.stream(Capabilities.PCR_PROPERTY_TAGS).boxed().toList(), t -> t,
                        property, Math.min(count, Capabilities.MAX_PCR_PROPERTIES));
                more = page.more();
                data.u32(page.items().size());
                for (int tag : page.items()) {
                    int m = Capabilities.pcrPropertyMask(tag);
                    data.u32(tag).u8(3).u8(m).u8(m >>> 8).u8(m >>> 16);
                }
            }
            case Capabilities.CAP_ECC_CURVES -> {
                // the property is a TPM_ECC_CURVE
                Page<Integer> page = page(Arrays.stream(Capabilities.ECC_CURVES).boxed().toList(), c -> c,
                        property & 0xFFFF, Math.min(count, Capabilities.MAX_ECC_CURVES));
                more = page.more();
                data.u32(page.items().size());
                page.items().forEach(data::u16);
            }
            case Capabilities.CAP_AUTH_POLICIES -> {
                if ((property >>> 24) != 0x40) {
                    throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 2));
                }
                Page<Long> page = page(Arrays.stream(Capabilities.POLICY_HANDLES).boxed().toList(), h -> h, property,
                        Math.min(count, Capabilities.MAX_TAGGED_POLICIES));
                more = page.more();
                data.u32(page.items().size());
                for (long hnd : page.items()) {
                    data.u32(hnd).u16(0x0010); // TPM_ALG_NULL: no policy
                }
            }
            case Capabilities.CAP_ACT -> {
                if (property < TpmEngine.RH_ACT_0 || property > TpmEngine.RH_ACT_F) {
                    throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 2));
                }
                more = false;
                data.u32(0); // no authenticated countdown timers
            }
            default -> throw new TpmFormatException(TpmRc.withParameter(TpmRc.VALUE, 1));
        }
        out.u8(more ? 1 : 0).u32(cap).bytes(data.toByteArray());
    }

    private boolean handles(long property, long count, TpmWriter data) throws TpmFormatException {
        long n = Math.min(count, Capabilities.MAX_CAP_HANDLES);
        Iterable<Long> handles = switch ((int) (property >>> 24)) {
            case 0x00 -> java.util.stream.LongStream.range(0, PcrAttributes.COUNT).boxed().toList();
            case 0x40 -> Arrays.stream(Capabilities.PERMANENT_HANDLES).boxed().toList();
            // TPM_HT_LOADED_SESSION and TPM_HT_SAVED_SESSION: sessions of either type, loaded or saved
            case 0x02 -> sessionHandles(false);
            case 0x03 -> sessionHandles(true);
            case 0x80 -> core.objects.handles(); // in handle order
            case 0x01 -> core.st.nv.keySet(); // a TreeMap: in handle order
            case 0x81 -> core.st.persistent.keySet(); // a TreeMap: in handle order
            default -> throw new TpmFormatException(TpmRc.withParameter(TpmRc.HANDLE, 2));
        };
        Page<Long> page = page(handles, h -> h, property, n);
        data.u32(page.items().size());
        page.items().forEach(data::u32);
        return page.more();
    }

    /** Handles of loaded or saved sessions in ascending order (HMAC 0x02..., then policy 0x03...). */
    private List<Long> sessionHandles(boolean saved) {
        List<Long> out = new ArrayList<>();
        core.sessions.forEach((h, s) -> {
            if (s.saved() == saved) {
                out.add(h);
            }
        });
        return out;
    }

    /** Part 4 PropertyCap.c TPMCapGetProperties: properties of the starting property's group only. */
    private boolean tpmProperties(long property, long count, TpmWriter data) {
        long n = Math.min(count, Capabilities.MAX_TPM_PROPERTIES);
        long start = Math.max(property, Capabilities.PT_FIXED);
        long groupEnd = (start / Capabilities.PT_GROUP + 1) * Capabilities.PT_GROUP;
        List<long[]> all = new ArrayList<>();
        for (int[] p : Capabilities.FIXED) {
            all.add(new long[] {p[0], p[1] & 0xFFFFFFFFL});
        }
        long permanent = 0x400; // tpmGeneratedEPS
        if (core.st.ownerAuth.length > 0) {
            permanent |= 0x1;
        }
        if (core.st.endorsementAuth.length > 0) {
            permanent |= 0x2;
        }
        if (core.st.lockoutAuth.length > 0) {
            permanent |= 0x4;
        }
        long startupClear = 0xF | (core.st.prevOrderlyState != TpmState.SU_NONE ? 0x80000000L : 0);
        long loaded = core.loadedSessions(); // HR_LOADED, HR_ACTIVE and what remains available
        long active = core.sessions.size();
        long[][] var = {
            {0x200, permanent}, {0x201, startupClear}, {0x202, core.st.nv.size()}, {0x203, loaded},
            {0x204, Authorisation.MAX_LOADED_SESSIONS - loaded}, {0x205, active},
            {0x206, Authorisation.MAX_ACTIVE_SESSIONS - active},
            {0x207, ObjectSlots.MAX_LOADED_OBJECTS - core.objects.size()}, {0x208, core.st.persistent.size()},
            {0x209, ContextCommands.MAX_PERSISTENT - core.st.persistent.size()},
            {0x20a, core.st.nv.values().stream().filter(i -> i.type() == NvIndex.NT_COUNTER).count()}, {0x20b, 0x19}, {0x20c, 0},
            {0x20d, Capabilities.ECC_CURVES.length}, {0x20e, core.st.failedTries}, {0x20f, 3}, {0x210, 1000},
            {0x211, Capabilities.LOCKOUT_RECOVERY_S}, {0x212, 0}, {0x213, 0}, {0x214, 0},
        };
        all.addAll(List.of(var));
        all.removeIf(p -> p[0] >= groupEnd);
        Page<long[]> page = page(all, p -> p[0], start, n);
        data.u32(page.items().size());
        for (long[] p : page.items()) {
            data.u32(p[0]).u32(p[1]);
        }
        return page.more();
    }

    /** One answer of GetCapability: the entries it returns and whether more remain (moreData). */
    private record Page<T>(List<T> items, boolean more) {
    }

    /**
     * Part 3 30.2 TPM2_GetCapability: from entries in ascending key order, those whose key is at
     * least {@code start}, at most {@code max} of them; moreData when one more was left out.
     */
    private static <T> Page<T> page(Iterable<T> sorted, java.util.function.ToLongFunction<T> key, long start, long max) {
        List<T> items = new ArrayList<>();
        for (T e : sorted) {
            if (key.applyAsLong(e) < start) {
                continue;
            }
            if (items.size() >= max) {
                return new Page<>(items, true);
            }
            items.add(e);
        }
        return new Page<>(items, false);
    }
}
