package org.qemu.helpers.compress.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Every {@link SafePathsTest} again with the openat walk, the confinement used where openat2 answers ENOSYS (an
 * older kernel, or a seccomp filter that does not know it, as the systemd-nspawn end-to-end run met).
 */
class WalkConfinementTest extends SafePathsTest {
    @BeforeEach
    void walk() {
        LinuxFiles.forceWalk(true);
    }

    @AfterEach
    void openat2Again() {
        LinuxFiles.forceWalk(false);
    }
}
