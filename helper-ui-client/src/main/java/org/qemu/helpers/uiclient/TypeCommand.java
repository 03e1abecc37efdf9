package org.qemu.helpers.uiclient;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.qemu.helpers.common.cli.CommonOptions;
import org.qemu.helpers.common.cli.HelperVersion;
import org.qemu.helpers.uiclient.engine.KeyEvent;
import org.qemu.helpers.uiclient.engine.UsLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code type --console N TEXT}: type TEXT on a US layout (use $'...\n' in a shell for Enter). */
@Command(name = "type", mixinStandardHelpOptions = true, versionProvider = HelperVersion.class,
        description = "Type text into a console on a US keyboard layout (printable ASCII, newline, tab).")
final class TypeCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @ParentCommand
    Main parent;

    @Option(names = "--console", paramLabel = "N", defaultValue = "0", description = "Console id (default: 0).")
    int console;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "20",
            description = "How long to wait for QEMU (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Parameters(paramLabel = "TEXT", description = "The text to type.")
    String text;

    @Override
    public Integer call() throws Exception {
        List<KeyEvent> keys;
        try {
            keys = UsLayout.keys(text);
        } catch (IllegalArgumentException e) {
            System.err.println("ui-client error text-invalid reason=\"" + e.getMessage() + "\"");
            return 2;
        }
        return OneShot.run(OneShot.options(common, parent), Duration.ofSeconds(timeoutSeconds), (client, log) -> {
            try {
                client.keys(console, keys);
            } catch (org.qemu.helpers.uiclient.display.DisplayUnavailableException e) {
                log.error("no-console", "console", console, "reason", e.getMessage());
                return OneShot.EXIT_NO_DISPLAY;
            }
            System.out.println("typed " + text.length() + " characters (" + keys.size() + " key events) on console "
                    + console);
            return 0;
        });
    }
}
