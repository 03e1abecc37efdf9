package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;

import java.util.Set;

/** Part 3 chapter 29 (Clocks and Timers): ReadClock. */
final class ClockCommands implements CommandGroup {
    private final EngineCore core;

    ClockCommands(EngineCore core) {
        this.core = core;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.READ_CLOCK);
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        // Part 3 29.1: TPMS_TIME_INFO (time, then TPMS_CLOCK_INFO)
        noMoreParams(c.in());
        TpmState st = core.st;
        c.out().u64(core.timeNow()).u64(core.clockNow()).u32(st.resetCount).u32(st.restartCount)
                .u8(st.clockSafe ? 1 : 0);
    }
}
