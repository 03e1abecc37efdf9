package org.qemu.helpers.compress.engine;

import org.qemu.helpers.common.text.Untrusted;
import java.util.Map;
import java.util.Set;

/**
 * A validated job request: direction, format ({@code null} = detect by magic on decompress), level,
 * workers and whether an existing destination may be replaced.
 */
public record JobSpec(Direction direction, Format format, int level, int workers, boolean overwrite) {

    private static final Set<String> COMPRESS_OPTIONS = Set.of("level", "workers", "overwrite");
    private static final Set<String> DECOMPRESS_OPTIONS = Set.of("workers", "overwrite");

    /**
     * Validates a bus request. {@code options} holds plain Java values (Integer, Boolean, ...).
     * Workers above {@code maxWorkers} (the cores) are lowered to it; below 1 is refused.
     */
    public static JobSpec parse(Direction direction, String formatName, Map<String, Object> options, int maxWorkers)
            throws Refusal {
        Format format;
        if (direction == Direction.DECOMPRESS && "auto".equals(formatName)) {
            format = null;
        } else {
            format = Format.byName(formatName).orElseThrow(() -> new Refusal(Refusal.Kind.INVALID_ARGS,
                    "unknown format '" + printable(formatName) + "'; use zstd, gzip, xz or lz4"
                            + (direction == Direction.DECOMPRESS ? " (or auto)" : "")));
        }
        Set<String> allowed = direction == Direction.COMPRESS ? COMPRESS_OPTIONS : DECOMPRESS_OPTIONS;
        for (String key : options.keySet()) {
            if (!allowed.contains(key)) {
                throw new Refusal(Refusal.Kind.INVALID_ARGS, "unknown option '" + printable(key) + "' for "
                        + direction.wire() + "; allowed: " + String.join(", ", allowed.stream().sorted().toList()));
            }
        }
        int level = 0;
        if (format != null && direction == Direction.COMPRESS) {
            level = intOption(options, "level", format.defaultLevel());
            if (level < format.minLevel() || level > format.maxLevel()) {
                throw new Refusal(Refusal.Kind.INVALID_ARGS, "level " + level + " is out of range for "
                        + format.wire() + "; use " + format.minLevel() + " to " + format.maxLevel());
            }
        }
        int workers = intOption(options, "workers", 1);
        if (workers < 1) {
            throw new Refusal(Refusal.Kind.INVALID_ARGS, "workers must be at least 1, got " + workers);
        }
        workers = Math.min(workers, Math.max(1, maxWorkers));
        Object ow = options.getOrDefault("overwrite", Boolean.FALSE);
        if (!(ow instanceof Boolean)) {
            throw new Refusal(Refusal.Kind.INVALID_ARGS, "option 'overwrite' must be a boolean (b)");
        }
        return new JobSpec(direction, format, level, workers, (Boolean) ow);
    }

    private static int intOption(Map<String, Object> options, String key, int dflt) throws Refusal {
        Object v = options.get(key);
        if (v == null) {
            return dflt;
        }
        if (!(v instanceof Integer)) {
            throw new Refusal(Refusal.Kind.INVALID_ARGS, "option '" + key + "' must be an int32 (i)");
        }
        return (Integer) v;
    }

    /** Escapes a peer-supplied string for an error message: printable ASCII only, bounded length. */
    public static String printable(String s) {
        return Untrusted.printable(s, 200);
    }
}
