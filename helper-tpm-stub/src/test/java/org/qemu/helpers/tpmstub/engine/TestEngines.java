package org.qemu.helpers.tpmstub.engine;

import java.util.EnumSet;
import java.util.Random;

/** Engine factories for tests: a deterministic random source and a fake clock. */
public final class TestEngines {
    private TestEngines() { }

    public static final class FakeClock implements java.util.function.LongSupplier {
        public long now = 1_000;

        @Override
        public long getAsLong() {
            return now;
        }
    }

    public static TpmEngine.RandomSource seeded(long seed) {
        Random r = new Random(seed);
        return new TpmEngine.RandomSource() {
            @Override
            public void fill(byte[] out) {
                r.nextBytes(out);
            }

            @Override
            public void stir(byte[] entropy) {
                // deterministic for tests
            }
        };
    }

    public static TpmEngine allBanks() {
        return new TpmEngine(EnumSet.allOf(HashAlg.class), new FakeClock(), seeded(1));
    }
}
