package org.qemu.helpers.compress.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class JobSpecTest {
    static Refusal refused(Direction d, String format, Map<String, Object> opts) {
        Refusal r = assertThrows(Refusal.class, () -> JobSpec.parse(d, format, opts, 2));
        assertEquals(Refusal.Kind.INVALID_ARGS, r.kind());
        return r;
    }

    @Test
    void unknownFormatLevelOptionAndTypesAreRefusedWithWhatIsAllowed() {
        assertTrue(refused(Direction.COMPRESS, "bzip2", Map.of()).getMessage().contains("zstd, gzip, xz or lz4"));
        assertTrue(refused(Direction.COMPRESS, "auto", Map.of()).getMessage().contains("unknown format"));
        assertTrue(refused(Direction.COMPRESS, "zstd", Map.of("level", 20)).getMessage().contains("1 to 19"));
        assertTrue(refused(Direction.COMPRESS, "gzip", Map.of("level", 0)).getMessage().contains("1 to 9"));
        assertTrue(refused(Direction.COMPRESS, "xz", Map.of("level", -1)).getMessage().contains("0 to 9"));
        assertTrue(refused(Direction.COMPRESS, "lz4", Map.of("level", 13)).getMessage().contains("1 to 12"));
        refused(Direction.COMPRESS, "zstd", Map.of("level", "3"));
        refused(Direction.COMPRESS, "zstd", Map.of("workers", 0));
        refused(Direction.COMPRESS, "zstd", Map.of("overwrite", 1));
        refused(Direction.COMPRESS, "zstd", Map.of("speed", 1));
        assertTrue(refused(Direction.DECOMPRESS, "zstd", Map.of("level", 3)).getMessage().contains("allowed"));
        assertTrue(refused(Direction.COMPRESS, "z\u0000\n", Map.of()).getMessage().contains("z\\x00\\x0a"));
    }

    @Test
    void defaultsClampAndAuto() throws Refusal {
        JobSpec s = JobSpec.parse(Direction.COMPRESS, "zstd", Map.of("workers", 64), 2);
        assertEquals(3, s.level());
        assertEquals(2, s.workers(), "workers are capped at the cores");
        assertEquals(false, s.overwrite());
        JobSpec d = JobSpec.parse(Direction.DECOMPRESS, "auto", Map.of("overwrite", true), 2);
        assertNull(d.format());
        assertTrue(d.overwrite());
        assertEquals(0, JobSpec.parse(Direction.COMPRESS, "xz", Map.of("level", 0), 2).level());
    }
}
