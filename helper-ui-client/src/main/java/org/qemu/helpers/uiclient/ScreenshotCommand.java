package org.qemu.helpers.uiclient;

import java.nio.file.Path;
import java.time.Duration;
import org.qemu.helpers.common.cli.HelperVersion;
import org.qemu.helpers.common.log.HelperLog;
import org.qemu.helpers.common.store.AtomicFiles;
import org.qemu.helpers.uiclient.display.DisplayClient;
import org.qemu.helpers.uiclient.display.DisplayUnavailableException;
import org.qemu.helpers.uiclient.engine.ConsoleDisplay;
import org.qemu.helpers.uiclient.engine.PngCodec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code screenshot --console N --out FILE.png}: the console's current frame as PNG. */
@Command(name = "screenshot", mixinStandardHelpOptions = true, versionProvider = HelperVersion.class,
        description = "Save a console's current frame as a PNG file.")
final class ScreenshotCommand extends DisplayCommand {
    @Option(names = "--console", paramLabel = "N", defaultValue = "0", description = "Console id (default: 0).")
    int console;

    @Option(names = "--out", paramLabel = "FILE.png", required = true, description = "Where to write the PNG.")
    Path out;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "20",
            description = "How long to wait for QEMU and its current frame (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    Duration timeout() {
        return Duration.ofSeconds(timeoutSeconds);
    }

    @Override
    int act(DisplayClient client, HelperLog log) throws Exception {
        var display = client.display(console);
        if (display.isEmpty()) {
            log.error("no-console", "console", console, "consoles", client.consoles().stream()
                    .map(c -> c.id()).toList());
            return EXIT_NO_DISPLAY;
        }
        ConsoleDisplay.Frame f;
        try {
            f = client.currentFrame(console, timeout());
        } catch (DisplayUnavailableException e) {
            log.error("no-frame", "console", console, "reason", e.getMessage());
            return EXIT_NO_DISPLAY;
        }
        AtomicFiles.write(out, PngCodec.encode(f, false));
        System.out.println("wrote " + out + " (" + f.width() + "x" + f.height() + ")");
        return 0;
    }
}
