package org.qemu.helpers.uiclient;

import java.time.Duration;
import java.util.List;
import org.qemu.helpers.common.cli.HelperVersion;
import org.qemu.helpers.common.client.ClientFailure;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.uiclient.display.DisplayClient;
import org.qemu.helpers.uiclient.display.DisplayUnavailableException;
import org.qemu.helpers.uiclient.engine.KeyEvent;
import org.qemu.helpers.uiclient.engine.UsLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code type --console N TEXT}: type TEXT on a US layout (use $'...\n' in a shell for Enter). */
@Command(name = "type", mixinStandardHelpOptions = true, versionProvider = HelperVersion.class,
        description = "Type text into a console on a US keyboard layout (printable ASCII, newline, tab).")
final class TypeCommand extends DisplayCommand {
    @Option(names = "--console", paramLabel = "N", defaultValue = "0", description = "Console id (default: 0).")
    int console;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "20",
            description = "How long to wait for QEMU (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Parameters(paramLabel = "TEXT", description = "The text to type.")
    String text;

    private List<KeyEvent> keys;

    @Override
    protected void validate() throws ClientFailure {
        try {
            keys = UsLayout.keys(text);
        } catch (IllegalArgumentException e) {
            throw ClientFailure.config("TEXT: " + e.getMessage());
        }
    }

    @Override
    Duration timeout() {
        return Duration.ofSeconds(timeoutSeconds);
    }

    @Override
    int act(DisplayClient client, HelperLog log) throws Exception {
        try {
            client.keys(console, keys);
        } catch (DisplayUnavailableException e) {
            log.error("no-console", "console", console, "reason", e.getMessage());
            return EXIT_NO_DISPLAY;
        }
        System.out.println("typed " + text.length() + " characters (" + keys.size() + " key events) on console "
                + console);
        return 0;
    }
}
