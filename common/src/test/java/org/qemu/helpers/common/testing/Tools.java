package org.qemu.helpers.common.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Real peers the tests need: a missing one fails the test naming the Debian package, never skips it. */
public final class Tools {
    private Tools() {
    }

    /** The path of {@code command}, or a failure saying {@code apt-get install -y debianPackage}. */
    public static Path require(String command, String debianPackage) {
        return find(command).orElseGet(() -> {
            fail("the test needs '" + command + "': apt-get install -y " + debianPackage);
            return null;
        });
    }

    public static Optional<Path> find(String command) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin";
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
