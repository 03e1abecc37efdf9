package org.qemu.helpers.slirpdhcp.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qemu.helpers.slirpdhcp.engine.HostRecord;
import org.qemu.helpers.slirpdhcp.engine.Ip4;
import org.qemu.helpers.slirpdhcp.engine.Lease;
import org.qemu.helpers.slirpdhcp.engine.Mac;
import org.qemu.helpers.slirpdhcp.engine.MalformedException;
import org.qemu.helpers.slirpdhcp.engine.NetState;
import org.qemu.helpers.slirpdhcp.engine.StateChange;
import org.qemu.helpers.slirpdhcp.engine.StaticLease;
import org.qemu.helpers.common.log.EventLog;
import org.qemu.helpers.common.testing.LogLines;

class LeaseStoreTest {
    @TempDir
    Path dir;

    static Lease lease(int i) {
        return new Lease("hw:" + new Mac(0x525400000000L + i), new Mac(0x525400000000L + i),
                Ip4.parse("10.0.0.0") + 15 + i, i % 2 == 0 ? "h" + i : "", 1_800_000_000L + i);
    }

    /** Replays changes into an image, as the engine would hold them. */
    static NetState fold(List<StateChange> changes) {
        StateCodec.StateImage img = new StateCodec.StateImage(NetState.empty());
        changes.forEach(c -> StateCodec.apply(img, c));
        return img.toState();
    }

    @Test
    void committedChangesSurviveReopen() throws Exception {
        List<StateChange> all = new ArrayList<>();
        try (LeaseStore s = LeaseStore.open(dir, EventLog.NONE)) {
            for (int i = 0; i < 50; i++) {
                List<StateChange> c = List.of(new StateChange.LeaseBound(lease(i), true));
                all.addAll(c);
                s.commit(c, () -> fold(all));
            }
            List<StateChange> more = List.of(new StateChange.LeaseEnded(lease(3), "released"),
                    new StateChange.StaticAdded(new StaticLease(Mac.parse("52:54:00:aa:bb:cc"), Ip4.parse("10.0.0.5"),
                            "db")),
                    new StateChange.HostAdded(new HostRecord("nas.vm.internal", Ip4.parse("10.0.0.6"))));
            all.addAll(more);
            s.commit(more, () -> fold(all));
        }
        try (LeaseStore s = LeaseStore.open(dir, EventLog.NONE)) {
            NetState st = s.recovered();
            assertEquals(49, st.leases().size());
            assertTrue(st.leases().stream().noneMatch(l -> l.clientKey().equals(lease(3).clientKey())));
            assertTrue(st.leases().contains(lease(4)));
            assertEquals("db", st.statics().get(0).hostname());
            assertEquals("nas.vm.internal", st.hosts().get(0).name());
        }
    }

    @Test
    void tornTailIsCutAndLaterAppendsStillWork() throws Exception {
        List<StateChange> all = new ArrayList<>();
        try (LeaseStore s = LeaseStore.open(dir, EventLog.NONE)) {
            for (int i = 0; i < 10; i++) {
                all.add(new StateChange.LeaseBound(lease(i), true));
                s.commit(List.of(all.get(i)), () -> fold(all));
            }
        }
        Path j = dir.resolve("leases.journal");
        long size = Files.size(j);
        // a crash in the middle of the next record: half its bytes made it
        byte[] rec = StateCodec.encodeChange(new StateChange.LeaseBound(lease(10), true));
        byte[] partial = new byte[8 + rec.length / 2];
        java.nio.ByteBuffer.wrap(partial).putInt(rec.length).putInt(LeaseStore.crc32c(rec, 0, rec.length));
        Files.write(j, partial, StandardOpenOption.APPEND);
        List<String> logs = new ArrayList<>();
        try (LeaseStore s = LeaseStore.open(dir, LogLines.into(logs))) {
            assertEquals(10, s.recovered().leases().size());
            assertTrue(logs.stream().anyMatch(l -> l.startsWith("journal_tail_dropped")));
            assertEquals(size, Files.size(j));
            all.add(new StateChange.LeaseBound(lease(11), true));
            s.commit(List.of(all.get(all.size() - 1)), () -> fold(all));
        }
        try (LeaseStore s = LeaseStore.open(dir, EventLog.NONE)) {
            assertEquals(11, s.recovered().leases().size());
        }
    }

    @Test
    void flippedBitInTheMiddleStopsReplayThere() throws Exception {
        List<StateChange> all = new ArrayList<>();
        try (LeaseStore s = LeaseStore.open(dir, EventLog.NONE)) {
            for (int i = 0; i < 10; i++) {
                all.add(new StateChange.LeaseBound(lease(i), true));
                s.commit(List.of(all.get(i)), () -> fold(all));
            }
        }
        Path j = dir.resolve("leases.journal");
        byte[] b = Files.readAllBytes(j);
        b[b.length / 2] ^= 1;
        Files.write(j, b);
        try (LeaseStore s = LeaseStore.open(dir, EventLog.NONE)) {
            int n = s.recovered().leases().size();
            assertTrue(n >= 3 && n < 10, "replayed the intact prefix only: " + n);
        }
    }

    @Test
    void compactionKeepsEverythingAndBoundsTheJournal() throws Exception {
        List<StateChange> all = new ArrayList<>();
        try (LeaseStore s = LeaseStore.open(dir, 2000, EventLog.NONE)) {
            for (int i = 0; i < 300; i++) {
                all.add(new StateChange.LeaseBound(lease(i), true));
                s.commit(List.of(all.get(i)), () -> fold(all));
            }
            assertTrue(s.journalBytes() <= 2000 + 100);
        }
        assertTrue(Files.exists(dir.resolve("leases.snapshot")));
        try (LeaseStore s = LeaseStore.open(dir, EventLog.NONE)) {
            Set<Lease> got = new HashSet<>(s.recovered().leases());
            assertEquals(new HashSet<>(fold(all).leases()), got);
        }
    }

    @Test
    void journalOfAnOlderGenerationIsIgnoredAfterACrashBetweenRenames() throws Exception {
        List<StateChange> all = new ArrayList<>();
        Path oldJournal = dir.resolve("old.journal");
        try (LeaseStore s = LeaseStore.open(dir, EventLog.NONE)) {
            all.add(new StateChange.LeaseBound(lease(1), true));
            s.commit(all, () -> fold(all));
            all.add(new StateChange.LeaseEnded(lease(1), "released"));
            s.commit(List.of(all.get(1)), () -> fold(all));
            Files.copy(dir.resolve("leases.journal"), oldJournal);
            s.compact(fold(all)); // snapshot: no leases
        }
        // crash after the snapshot rename but before the new journal replaced the old one
        Files.copy(oldJournal, dir.resolve("leases.journal"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.delete(oldJournal);
        try (LeaseStore s = LeaseStore.open(dir, EventLog.NONE)) {
            assertEquals(0, s.recovered().leases().size());
        }
    }

    @Test
    void corruptSnapshotIsRefusedWithAnActionableMessage() throws Exception {
        try (LeaseStore s = LeaseStore.open(dir, EventLog.NONE)) {
            s.compact(fold(List.of(new StateChange.LeaseBound(lease(1), true))));
        }
        Path snap = dir.resolve("leases.snapshot");
        byte[] b = Files.readAllBytes(snap);
        b[b.length - 1] ^= 0x40;
        Files.write(snap, b);
        IOException e = assertThrows(IOException.class, () -> LeaseStore.open(dir, EventLog.NONE));
        assertTrue(e.getMessage().contains("leases.snapshot is corrupt"), e.getMessage());
    }

    @Test
    void stateCodecRejectsHostileBlobsWithoutAllocatingTheirCounts() {
        byte[] huge = {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertThrows(MalformedException.class, () -> StateCodec.decodeState(huge));
        NetState s = fold(List.of(new StateChange.LeaseBound(lease(2), true)));
        byte[] ok = StateCodec.encodeState(s);
        java.util.Random rnd = new java.util.Random(7);
        for (int i = 0; i < 20000; i++) {
            byte[] m = ok.clone();
            m[rnd.nextInt(m.length)] = (byte) rnd.nextInt();
            byte[] cut = java.util.Arrays.copyOf(m, rnd.nextInt(m.length + 1));
            try {
                StateCodec.decodeState(cut);
            } catch (MalformedException expected) {
                // fine
            }
        }
    }
}
