package org.qemu.helpers.slirpdhcp.qemu;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts a process with one of this JVM's descriptors as its fd 3, as libvirt hands QEMU its end of the slirp
 * helper's socketpair. ProcessBuilder cannot (the JDK closes every descriptor above 2 in the child), so this calls
 * posix_spawnp with a dup2 file action. stdin is /dev/null, stdout and stderr go to {@code log}.
 */
final class SpawnWithFd implements AutoCloseable {
    static final int CHILD_FD = 3;

    interface C extends Library {
        C INSTANCE = Native.load("c", C.class);

        int posix_spawn_file_actions_init(Pointer fa);

        int posix_spawn_file_actions_adddup2(Pointer fa, int fd, int newfd);

        int posix_spawn_file_actions_addopen(Pointer fa, int fd, String path, int oflag, int mode);

        int posix_spawn_file_actions_destroy(Pointer fa);

        int posix_spawnp(IntByReference pid, String file, Pointer fa, Pointer attr, String[] argv, String[] envp);

        int kill(int pid, int sig);

        int waitpid(int pid, IntByReference status, int options);
    }

    private final int pid;
    private boolean exited;

    private SpawnWithFd(int pid) {
        this.pid = pid;
    }

    static SpawnWithFd start(List<String> cmd, int fd, Path log) throws IOException {
        Memory fa = new Memory(256); // posix_spawn_file_actions_t is 80 bytes on glibc
        C c = C.INSTANCE;
        c.posix_spawn_file_actions_init(fa);
        try {
            c.posix_spawn_file_actions_addopen(fa, 0, "/dev/null", 0, 0);
            c.posix_spawn_file_actions_addopen(fa, 1, log.toString(), 01 | 0100 | 01000, 0644); // O_WRONLY|CREAT|TRUNC
            c.posix_spawn_file_actions_adddup2(fa, 1, 2);
            c.posix_spawn_file_actions_adddup2(fa, fd, CHILD_FD); // the copy at 3 has no FD_CLOEXEC
            IntByReference pid = new IntByReference();
            String[] env = System.getenv().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .toArray(String[]::new);
            int r = c.posix_spawnp(pid, cmd.get(0), fa, null, cmd.toArray(String[]::new), env);
            if (r != 0) {
                throw new IOException("posix_spawnp " + cmd.get(0) + ": error " + r);
            }
            return new SpawnWithFd(pid.getValue());
        } finally {
            c.posix_spawn_file_actions_destroy(fa);
        }
    }

    boolean isAlive() {
        exited = exited || C.INSTANCE.waitpid(pid, new IntByReference(), 1 /* WNOHANG */) != 0;
        return !exited;
    }

    @Override
    public void close() throws IOException {
        if (!isAlive()) {
            return; // reaped: the pid may be someone else's now
        }
        C.INSTANCE.kill(pid, 15);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (!isAlive()) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        C.INSTANCE.kill(pid, 9);
        C.INSTANCE.waitpid(pid, new IntByReference(), 0);
    }
}
