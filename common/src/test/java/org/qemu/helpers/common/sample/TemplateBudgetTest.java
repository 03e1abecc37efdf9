package org.qemu.helpers.common.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.qemu.helpers.common.testing.HelperProcess;
import org.qemu.helpers.common.testing.PrivateBus;

/**
 * issue 12 item 1: the template helper (one gated method, one property, one signal, discovery, a VMState
 * codec) takes at most 30 lines of Java, its test at most 20 (imports, package line, blank lines and
 * comments not counted), and --help/--version come with HelperCommand.
 */
class TemplateBudgetTest {
    static final Path DIR = Path.of("src/test/java/org/qemu/helpers/common/sample");

    static long codeLines(String file) throws Exception {
        long n = 0;
        boolean inComment = false;
        for (String l : Files.readAllLines(DIR.resolve(file))) {
            String t = l.strip();
            if (inComment || t.startsWith("/*")) {
                inComment = !t.contains("*/");
                continue;
            }
            if (!t.isEmpty() && !t.startsWith("//") && !t.startsWith("import ") && !t.startsWith("package ")) {
                n++;
            }
        }
        return n;
    }

    @Test
    void theTemplateAndItsTestKeepTheirBudget() throws Exception {
        long helper = codeLines("EchoHelper.java") + codeLines("Echo1.java");
        assertTrue(helper <= 30, "EchoHelper + Echo1: " + helper + " lines");
        long test = codeLines("EchoHelperTest.java");
        assertTrue(test <= 20, "EchoHelperTest: " + test + " lines");
    }

    @Test
    void helpAndVersionComeWithHelperCommand() throws Exception {
        PrivateBus none = new PrivateBus();
        none.start();
        try {
            HelperProcess v = none.startHelper(EchoHelper.class, "--version");
            assertEquals(0, v.awaitExit(Duration.ofSeconds(30)), v.output());
            assertTrue(v.output().startsWith("qemu-dbus-helpers "), v.output());
            HelperProcess h = none.startHelper(EchoHelper.class, "--help");
            assertEquals(0, h.awaitExit(Duration.ofSeconds(30)), h.output());
            assertTrue(h.output().contains("Usage: echo") && h.output().contains("--bus-address"), h.output());
        } finally {
            none.stop();
        }
    }
}
