package org.qemu.helpers.slirpdhcp.store;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qemu.helpers.slirpdhcp.engine.Lease;
import org.qemu.helpers.slirpdhcp.engine.NetState;
import org.qemu.helpers.slirpdhcp.engine.StateChange;
import org.qemu.helpers.common.log.EventLog;

/**
 * A separate JVM commits leases as fast as it can and prints "acked N" after each commit returns (the moment a
 * DHCPACK would go out); the test kills it with SIGKILL mid-stream and checks every acknowledged lease is on disk.
 */
class KillDuringAckTest {
    @TempDir
    Path dir;

    public static void main(String[] args) throws Exception {
        java.util.ArrayList<StateChange> all = new java.util.ArrayList<>();
        try (LeaseStore s = LeaseStore.open(Path.of(args[0]), 64 * 1024, EventLog.NONE)) {
            for (int i = 0; ; i++) {
                StateChange c = new StateChange.LeaseBound(LeaseStoreTest.lease(i), true);
                all.add(c);
                s.commit(List.of(c), () -> LeaseStoreTest.fold(all));
                System.out.println("acked " + i);
                System.out.flush();
            }
        }
    }

    @Test
    void everyLeaseAcknowledgedBeforeKillNineIsRecovered() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                KillDuringAckTest.class.getName(), dir.toString()).redirectErrorStream(true).start();
        int lastAcked = -1;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String line;
            while ((line = r.readLine()) != null && System.nanoTime() < deadline) {
                if (line.startsWith("acked ")) {
                    lastAcked = Integer.parseInt(line.substring(6));
                    if (lastAcked >= 1500) {
                        p.destroyForcibly(); // SIGKILL right after an ack
                        break;
                    }
                }
            }
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        assertTrue(lastAcked >= 1500, "child acked only " + lastAcked);
        try (LeaseStore s = LeaseStore.open(dir, EventLog.NONE)) {
            NetState st = s.recovered();
            Set<String> keys = new HashSet<>();
            st.leases().forEach(l -> keys.add(l.clientKey()));
            for (int i = 0; i <= lastAcked; i++) {
                Lease l = LeaseStoreTest.lease(i);
                assertTrue(keys.contains(l.clientKey()), "acked lease " + i + " lost");
            }
        }
    }
}
