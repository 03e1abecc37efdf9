package org.qemu.helpers.tpmstub.engine;

import static org.qemu.helpers.tpmstub.engine.Params.noMoreParams;
import static org.qemu.helpers.tpmstub.engine.Params.param;

import java.util.Set;

/** Part 3 chapter 16 (Random Number Generator): GetRandom, StirRandom. */
final class RandomCommands implements CommandGroup {
    private static final int MAX_SYM_DATA = 128;

    private final EngineCore core;

    RandomCommands(EngineCore core) {
        this.core = core;
    }

    @Override
    public Set<CommandCode> commands() {
        return Set.of(CommandCode.GET_RANDOM, CommandCode.STIR_RANDOM);
    }

    @Override
    public void execute(Command c) throws TpmFormatException {
        TpmReader r = c.in();
        switch (c.cc()) {
            case GET_RANDOM -> {
                // Part 3 16.1: at most the size of the largest digest
                int n = param(r, 1, TpmReader::u16);
                noMoreParams(r);
                byte[] b = new byte[Math.min(n, Params.MAX_DIGEST)];
                core.random.fill(b);
                c.out().tpm2b(b);
            }
            case STIR_RANDOM -> {
                byte[] data = param(r, 1, rd -> rd.tpm2b(MAX_SYM_DATA));
                noMoreParams(r);
                core.random.stir(data);
            }
            default -> throw new IllegalStateException("unhandled " + c.cc());
        }
    }
}
