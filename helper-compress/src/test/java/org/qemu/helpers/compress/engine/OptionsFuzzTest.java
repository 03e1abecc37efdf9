package org.qemu.helpers.compress.engine;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fuzz target (Jazzer) for compress's option dictionaries (a{sv} from any helper-level caller):
 * format names, keys and values of every D-Bus type the bus can carry. A valid spec must keep
 * its bounds; anything but a Refusal is a finding. The suite replays the committed corpus.
 */
class OptionsFuzzTest {
    private static final List<String> KEYS = List.of("level", "workers", "overwrite", "checksum", "");

    @FuzzTest
    void options(FuzzedDataProvider in) {
        Direction dir = in.consumeBoolean() ? Direction.COMPRESS : Direction.DECOMPRESS;
        String format = in.consumeBoolean() ? in.pickValue(List.of("zstd", "gzip", "xz", "lz4", "auto"))
                : in.consumeString(16);
        Map<String, Object> opts = new HashMap<>();
        int n = in.consumeInt(0, 6);
        for (int i = 0; i < n; i++) {
            String key = in.consumeBoolean() ? in.pickValue(KEYS) : in.consumeString(24);
            Object value = switch (in.consumeInt(0, 5)) {
                case 0 -> in.consumeInt();
                case 1 -> in.consumeLong();
                case 2 -> in.consumeBoolean();
                case 3 -> in.consumeString(32);
                case 4 -> in.consumeBytes(8);
                default -> (short) in.consumeInt();
            };
            opts.put(key, value);
        }
        int cores = in.consumeInt(1, 64);
        try {
            JobSpec spec = JobSpec.parse(dir, format, opts, cores);
            if (spec.workers() < 1) {
                throw new IllegalStateException("accepted a spec with " + spec.workers() + " workers");
            }
        } catch (Refusal expected) {
            // refused with a message: the only allowed failure
        }
    }
}
