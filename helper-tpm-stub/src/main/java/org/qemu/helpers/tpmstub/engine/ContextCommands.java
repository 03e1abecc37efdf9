package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.util.Set;

/** Part 3 chapter 28 (Context Management): FlushContext. */
final class ContextCommands implements CommandGroup {
    private final EngineCore core;

    ContextCommands(EngineCore core) {
        this.core = core;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.FLUSH_CONTEXT);
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        long handle = param(c.in(), 1, rd -> {
            long h = rd.u32(); // TPMI_DH_CONTEXT: an HMAC or policy session, or a transient object
            boolean ok = Authorisation.isHmacSessionHandle(h) || Authorisation.isPolicySessionHandle(h)
                    || (h >= ObjectSlots.TRANSIENT_FIRST
                        && h < ObjectSlots.TRANSIENT_FIRST + ObjectSlots.MAX_LOADED_OBJECTS);
            if (!ok) {
                throw new TpmFormatException(TpmRc.VALUE);
            }
            return h;
        });
        noMoreParams(c.in());
        boolean flushed = ObjectSlots.isTransient(handle) ? core.objects.remove(handle)
                : core.hmacSessions.remove(handle) != null;
        if (!flushed) {
            throw new TpmFormatException(TpmRc.withParameter(TpmRc.HANDLE, 1));
        }
    }
}
