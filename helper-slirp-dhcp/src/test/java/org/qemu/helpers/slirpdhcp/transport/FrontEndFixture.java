package org.qemu.helpers.slirpdhcp.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.qemu.helpers.common.testing.LogLines;
import org.qemu.helpers.slirpdhcp.Settings;
import org.qemu.helpers.slirpdhcp.SlirpCore;
import org.qemu.helpers.slirpdhcp.engine.NetworkConfig;

/** A helper core in this process with one guest front end, and the test's own end of it as {@link #peer}. */
abstract class FrontEndFixture {
    @TempDir
    Path dir;
    SlirpCore core;
    int peer = -1;
    final List<String> logs = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void stop() {
        if (core != null) {
            core.close();
        }
        if (peer >= 0) {
            Posix.close(peer);
        }
    }

    /** A socketpair of {@code type}; the helper gets one end as --fd, the test keeps the other. */
    void start(int type) throws IOException {
        int[] sv = new int[2];
        assertEquals(0, Posix.socketpair(Posix.AF_UNIX, type | Posix.SOCK_CLOEXEC, 0, sv), Posix.lastError());
        peer = sv[0];
        start(new Settings.Guest.InheritedFd(sv[1]));
    }

    /** The core with {@code guest} as its front end, logging into {@link #logs}. */
    void start(Settings.Guest guest) throws IOException {
        core = SlirpCore.start(new Settings(NetworkConfig.slirpDefaults("vm.internal"), dir.resolve("state"),
                guest, null, 0, 0, List.of(), Duration.ofMillis(500)), LogLines.into(logs));
    }
}
