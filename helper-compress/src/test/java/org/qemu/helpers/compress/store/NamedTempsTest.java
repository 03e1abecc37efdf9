package org.qemu.helpers.compress.store;

/**
 * Every {@link SafePathsTest} again with named temporary files: the path a file system without O_TMPFILE
 * takes (created O_EXCL, journaled, renamed with renameat2 RENAME_NOREPLACE unless overwriting).
 */
class NamedTempsTest extends SafePathsTest {
    @Override
    boolean anonymousTemps() {
        return false;
    }
}
