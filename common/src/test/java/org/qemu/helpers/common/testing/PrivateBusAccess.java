package org.qemu.helpers.common.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Starts a helper process on a bus that a test runs itself (not a {@link PrivateBus}); the args carry --bus-address. */
public final class PrivateBusAccess {
    private PrivateBusAccess() {
    }

    public static HelperProcess start(Class<?> mainClass, Path logDir, List<String> args) throws IOException {
        return HelperProcess.start(mainClass, null, logDir, args);
    }
}
