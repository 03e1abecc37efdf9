package org.qemu.helpers.slirpdhcp.libvirt;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * {@code --exit-with-parent}: prctl(PR_SET_PDEATHSIG, SIGTERM), so the kernel sends SIGTERM when the parent dies and
 * the helper stops as on any SIGTERM (names released, exit 0). The kernel delivers it, no watcher thread polls;
 * a pid watch could also mistake a recycled pid for the parent. What it covers: the parent the helper has when the
 * JVM arms it (about 0.3 s after exec). A parent that dies before is not seen; libvirt is such a case, since
 * virCommandDaemonize double-forks and the intermediate process exits at once, leaving the helper to init (or a
 * subreaper): there libvirt stops the helper through its pidfile (SIGTERM) and by stopping the domain's bus.
 */
public final class ParentDeath {
    static {
        Native.register(Platform.C_LIBRARY_NAME);
    }

    /** linux/prctl.h. */
    private static final int PR_SET_PDEATHSIG = 1;
    private static final int PR_GET_PDEATHSIG = 2;
    private static final int SIGTERM = 15;

    private ParentDeath() {
    }

    private static native int prctl(int option, long arg2, long arg3, long arg4, long arg5);

    private static native int getppid();

    /** Arms SIGTERM on the parent's death; returns the parent's pid, or throws when the kernel refuses. */
    public static int arm() {
        if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) != 0) {
            throw new IllegalStateException("prctl(PR_SET_PDEATHSIG) failed: errno " + Native.getLastError());
        }
        return getppid();
    }

    /** The signal armed now (0: none), for tests. */
    public static int armedSignal() {
        com.sun.jna.Memory m = new com.sun.jna.Memory(4);
        m.setInt(0, 0);
        prctl(PR_GET_PDEATHSIG, com.sun.jna.Pointer.nativeValue(m), 0, 0, 0);
        return m.getInt(0);
    }
}
