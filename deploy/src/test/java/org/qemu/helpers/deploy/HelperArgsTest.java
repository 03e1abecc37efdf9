package org.qemu.helpers.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.jvm.HelperJvmFlags;
import org.qemu.helpers.common.testing.HelperProcess;

class HelperArgsTest {
    @Test
    void theTestHarnessStartsHelpersWithTheLaunchersFlags() {
        // one list in common, used by both (common cannot depend on deploy)
        assertSame(HelperJvmFlags.COMMON, HelperProcess.JVM_FLAGS);
        assertSame(HelperJvmFlags.COMMON, HelperArgs.JVM_FLAGS);
    }

    @Test
    void theGeneratedLauncherRunsTheJarWithTheLaunchersFlags() {
        String abs = JvmFlagsCommand.launcher(HelperKind.COMPRESS, Path.of("/opt/x/helper-compress.jar"));
        List<String> lines = abs.lines().toList();
        assertEquals("#!/bin/sh", lines.get(0));
        assertTrue(lines.contains("export MALLOC_ARENA_MAX=2"), abs);
        assertEquals("exec java " + String.join(" ", HelperArgs.jvmFlags(HelperKind.COMPRESS))
                + " -jar '/opt/x/helper-compress.jar' \"$@\"", lines.get(lines.size() - 1));
        String rel = JvmFlagsCommand.launcher(HelperKind.TPM_STUB, Path.of("../it's/t.jar"));
        assertTrue(rel.contains(" -jar \"$(dirname \"$(readlink -f \"$0\")\")\"/'../it'\\''s/t.jar' \"$@\""), rel);
    }
}
